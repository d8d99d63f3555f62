import { RegistrationError } from './registration-error';

/*
 * The public URL of a webhook node, as FPTR is given it. Browser-safe: the editor shows the URL
 * with the same rules (lib/editor).
 */

/**
 * The URL FPTR calls: `baseUrl` (how FPTR reaches this Node-RED, e.g. `https://nr.example.com`,
 * possibly with a path prefix) + `nodePath` (the node's path under Node-RED's node root).
 */
export function hookUrl(baseUrl: string, nodePath: string): string {
  let base: URL;
  try {
    base = new URL(baseUrl.trim());
  } catch {
    throw new RegistrationError(
      `the public base URL ${JSON.stringify(baseUrl)} is not a URL (expected e.g. https://nodered.example.com)`,
    );
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new RegistrationError('the public base URL must start with https:// or http://');
  if (base.username || base.password)
    throw new RegistrationError('the public base URL must not contain a user name or password');
  if (base.search || base.hash) throw new RegistrationError('the public base URL must not contain a query or fragment');
  const prefix = base.pathname.replace(/\/+$/, '');
  const path = '/' + nodePath.replace(/^\/+/, '');
  return base.origin + prefix + path;
}

/** URLs compared as FPTR may normalise them (case of scheme and host, default port, trailing slash). */
export function sameUrl(a: string, b: string): boolean {
  const norm = (text: string): string => {
    try {
      const url = new URL(text);
      return url.origin + url.pathname.replace(/\/+$/, '') + url.search;
    } catch {
      return text;
    }
  };
  return norm(a) === norm(b);
}
