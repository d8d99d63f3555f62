import type { Node, NodeAPI, NodeDef } from 'node-red';
import { connectSite } from '../lib/fptr/client/site-connection';
import type { SiteRuntimeSettings } from '../lib/fptr/client/site-settings';
import { messages } from '../lib/node-red/i18n';
import { SITE_TYPE, type FptrSite } from '../lib/node-red/site';
import { addSiteTestRoute } from '../lib/node-red/site-test-route';

interface SiteDef extends NodeDef {
  url: string;
  authType: string;
  maxConcurrency: string | number;
  timeout: string | number;
  maxRetries?: string | number;
  deadline?: string | number;
}

interface SiteCredentials {
  scriptName?: string;
  scriptKey?: string;
  login?: string;
  password?: string;
  sudoAs?: string;
}

type SiteNode = Node<SiteCredentials> & FptrSite;

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
    if (site.configError !== undefined) {
      this.configError = site.configError;
      this.error(t('errors.invalidConfig', { reason: site.configError }));
    }
    this.on('close', (_removed: boolean, done: () => void) => {
      site.close().then(done, done);
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
    },
  });

  addSiteTestRoute(RED, t, settings);
};
