import type { Node, NodeAPI, NodeDef } from 'node-red';
import { connectSite } from '../lib/fptr/client/site-connection';
import type { SiteRuntimeSettings } from '../lib/fptr/client/site-settings';
import { messages } from '../lib/node-red/i18n';
import { SITE_TYPE, type FptrSite } from '../lib/node-red/site';
import { addSiteSchemaRoutes, type SiteSchemaHolder } from '../lib/node-red/site-schema-route';
import { addSiteTestRoute } from '../lib/node-red/site-test-route';
import { openSharedState } from '../lib/state/open-state';
import type { Health } from '../lib/state/shared-state';

interface SiteDef extends NodeDef {
  url: string;
  authType: string;
  maxConcurrency: string | number;
  timeout: string | number;
  maxRetries?: string | number;
  deadline?: string | number;
  /** Shared state across instances: redis:// or rediss://, empty = off (public name). */
  redisUrl?: string;
  /** Put in front of every Redis key (public name). */
  redisPrefix?: string;
}

interface SiteCredentials {
  scriptName?: string;
  scriptKey?: string;
  login?: string;
  password?: string;
  sudoAs?: string;
  redisPassword?: string;
}

type SiteNode = Node<SiteCredentials> & FptrSite & SiteSchemaHolder;

export = function (RED: NodeAPI) {
  const settings = RED.settings as typeof RED.settings & SiteRuntimeSettings & { userDir?: string };
  const t = messages(RED, SITE_TYPE);
  // Flows have no setting that names Node-RED's user directory; function nodes read this one with
  // env.get (the folder example does). It holds the directory however Node-RED was started.
  if (typeof settings.userDir === 'string' && settings.userDir !== '') process.env.FPTR_USER_DIR = settings.userDir;

  function FptrSite(this: SiteNode, config: SiteDef) {
    RED.nodes.createNode(this, config);
    const site = connectSite({ ...config, ...this.credentials }, settings, (reason) =>
      t('errors.invalidConfig', { reason }),
    );
    this.client = site.client;
    this.siteUrl = site.siteUrl;
    this.schema = site.schema;
    if (site.configError !== undefined) {
      this.configError = site.configError;
      this.error(t('errors.invalidConfig', { reason: site.configError }));
    }
    const shared = openSharedState({
      redisUrl: config.redisUrl,
      redisPassword: this.credentials?.redisPassword,
      redisPrefix: config.redisPrefix,
    });
    this.state = shared.state;
    if (shared.problem !== undefined) this.error(t('errors.sharedConfig', { reason: shared.problem }));
    // One line per change, not per failed operation: an outage is logged when it starts and ends.
    let down = false;
    shared.state.on('health', (health: Health, reason?: string) => {
      if (health === 'degraded') {
        down = true;
        this.warn(t('errors.sharedDown', { reason: reason ?? '' }));
      } else if (health === 'up' && down) {
        down = false;
        this.log(t('log.sharedUp'));
      }
    });
    this.on('close', (_removed: boolean, done: () => void) => {
      Promise.all([site.close(), shared.state.close()]).then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType<SiteNode, SiteDef, SiteRuntimeSettings, SiteCredentials>(SITE_TYPE, FptrSite, {
    settings: {
      fptrSiteMaxResponseSize: { value: undefined },
    },
    credentials: {
      scriptName: { type: 'text' },
      scriptKey: { type: 'password' },
      login: { type: 'text' },
      password: { type: 'password' },
      sudoAs: { type: 'text' },
      redisPassword: { type: 'password' },
    },
  });

  addSiteTestRoute(RED, t, settings);
  addSiteSchemaRoutes(RED, t, settings);
};
