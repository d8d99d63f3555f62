import type { Node, NodeAPI } from 'node-red';
import type { FptrApi } from '../fptr/client/api';
import { periodGate } from '../state/period-gate';
import type { SharedState } from '../state/shared-state';
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
   * State the nodes of this site share with the other Node-RED instances (Redis), or keep to
   * this instance (memory) when the site names no Redis server.
   */
  state: SharedState;
}

/** The deployed fptr-site with this id; null when none is chosen or the id names another kind of node. */
export function siteOf(RED: Pick<NodeAPI, 'nodes'>, id: string | undefined): FptrSite | null {
  if (!id) return null;
  const node: (Node & Partial<FptrSite>) | null = RED.nodes.getNode(id);
  return node?.type === SITE_TYPE &&
    node.client !== undefined &&
    node.state !== undefined &&
    typeof node.siteUrl === 'string'
    ? { client: node.client, siteUrl: node.siteUrl, configError: node.configError, state: node.state }
    : null;
}

/**
 * The one place that decides whether this instance runs a round of a periodic job on a site
 * (the hook watch, the redeliver sweep): with the site on Redis, one instance of several per
 * period (lib/state/period-gate); on one instance alone, every round.
 */
export function periodGateOf(site: FptrSite): PeriodGate {
  return site.state.kind === 'redis' ? periodGate(site.state) : runEveryRound;
}
