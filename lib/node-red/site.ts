import type { Node, NodeAPI } from 'node-red';
import type { FptrApi } from '../fptr/client/api';
import { runEveryRound, type PeriodGate } from '../util/periodic-job';

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
  /**
   * Set by a site whose instances share state: lets one instance run each round of a periodic
   * job. Read it through periodGateOf().
   */
  periodGate?: PeriodGate;
}

/** The deployed fptr-site with this id; null when none is chosen or the id names another kind of node. */
export function siteOf(RED: Pick<NodeAPI, 'nodes'>, id: string | undefined): FptrSite | null {
  if (!id) return null;
  const node: (Node & Partial<FptrSite>) | null = RED.nodes.getNode(id);
  return node?.type === SITE_TYPE && node.client !== undefined && typeof node.siteUrl === 'string'
    ? {
        client: node.client,
        siteUrl: node.siteUrl,
        configError: node.configError,
        periodGate: node.periodGate,
      }
    : null;
}

/**
 * The one place that decides whether this instance runs a round of a periodic job on a site
 * (the hook watch, the redeliver sweep): the site's gate when it has one, else every round.
 */
export function periodGateOf(site: FptrSite): PeriodGate {
  return site.periodGate ?? runEveryRound;
}
