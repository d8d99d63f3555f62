import type { Node, NodeAPI } from 'node-red';
import type { FptrApi } from '../fptr/client/api';

export const SITE_TYPE = 'fptr-site';

/**
 * What an `fptr-site` config node offers the nodes that use it. `client` always exists; when the
 * site is misconfigured every call rejects with an FptrError saying what is missing, so using
 * nodes report it through done(err) like any other failure.
 */
export interface FptrSite {
  client: FptrApi;
  siteUrl: string;
  /**
   * Set when the site's settings are unusable: what is wrong, in plain words and without
   * secrets (e.g. "Script name and script key are required"), for badges and errors.
   */
  configError?: string;
}

/** The deployed fptr-site with this id; null when none is chosen or the id names another kind of node. */
export function siteOf(RED: Pick<NodeAPI, 'nodes'>, id: string | undefined): FptrSite | null {
  if (!id) return null;
  const node: (Node & Partial<FptrSite>) | null = RED.nodes.getNode(id);
  return node?.type === SITE_TYPE && node.client !== undefined && typeof node.siteUrl === 'string'
    ? { client: node.client, siteUrl: node.siteUrl, configError: node.configError }
    : null;
}
