import type { Node, NodeAPI } from 'node-red';
import { sameSite, type SiteSettings } from '../fptr/client/site-settings';
import { SITE_TYPE } from './site';

/** What the editor sends for a password field the user did not touch. */
const UNCHANGED_PASSWORD = '__PWRD__';

interface StoredSecrets {
  siteUrl?: unknown;
  credentials?: { scriptKey?: string; password?: string };
}

/** The settings an fptr-site dialog sent, or why they cannot be used (an `errors.` key of fptr-site). */
export type DialogSettings = { settings: SiteSettings } | { refused: 'badRequest' | 'reenterSecret' };

/**
 * Reads the settings the fptr-site dialog sends to the admin routes ("Test connection", the
 * schema of a site not deployed as it stands). Password fields left unchanged arrive as a
 * placeholder: they take the stored value, but only that of the deployed fptr-site node the
 * dialog edits, and only towards the URL it was deployed with. Otherwise a route would send any
 * node's stored password (an MQTT broker's, say) to any address typed in.
 */
export function dialogSettings(RED: Pick<NodeAPI, 'nodes'>, body: unknown): DialogSettings {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { refused: 'badRequest' };
  const { id, ...values } = body as SiteSettings & { id?: unknown };
  if (values.scriptKey !== UNCHANGED_PASSWORD && values.password !== UNCHANGED_PASSWORD) return { settings: values };
  const deployed: (Node & StoredSecrets) | null = typeof id === 'string' && id ? RED.nodes.getNode(id) : null;
  if (deployed?.type !== SITE_TYPE || !sameSite(values.url, deployed.siteUrl)) return { refused: 'reenterSecret' };
  const stored = deployed.credentials ?? {};
  if (values.scriptKey === UNCHANGED_PASSWORD) values.scriptKey = stored.scriptKey;
  if (values.password === UNCHANGED_PASSWORD) values.password = stored.password;
  return { settings: values };
}
