import type { FptrApi } from '../fptr/client/api';

/**
 * What an `fptr-site` config node offers the nodes that use it:
 * `const site = RED.nodes.getNode(config.site) as FptrSiteNode | null`.
 * `client` always exists; when the site is misconfigured every call rejects with an FptrError
 * saying what is missing, so using nodes report it through done(err) like any other failure.
 */
export interface FptrSiteNode {
  client: FptrApi;
  siteUrl: string;
  /**
   * Set when the site's settings are unusable: what is wrong, in plain words and without
   * secrets (e.g. "Script name and script key are required"), for badges and errors.
   */
  configError?: string;
}
