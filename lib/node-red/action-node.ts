import { failureStatus } from '../fptr/client/failure-kind';
import type { FptrSiteNode } from './site';
import type { FptrApi } from '../fptr/client/api';

/*
 * The part the action nodes (find, update, acknowledge, redeliver) share: refuse to work without
 * a usable site, show what they are doing, and turn the outcome of one message's work into a
 * badge, an output and done(). Typed structurally so it needs no Node-RED import.
 */

/** A status badge, in the shape `node.status()` takes. */
export interface Badge {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'ring' | 'dot';
  text: string;
}

/** Looks up `<type>.<key>` in the node type's message catalog. */
export type Translate = (key: string, params?: Record<string, string | number>) => string;

/** How one message's work ended well: the badge to show and, unless omitted, what to send. */
export interface Finished<Out> {
  badge: Badge;
  send?: Out;
}

export interface ActionSpec<Msg, Result, Out> {
  node: { status(badge: Badge): void };
  site: FptrSiteNode | null;
  t: Translate;
  /**
   * Set when the node's own settings are unusable: the name of its `status.<name>` and
   * `errors.<name>` messages.
   */
  badConfig?: string;
  /** Catalog key of the badge shown while a message is being worked on. */
  working: string;
  run(msg: Msg, api: FptrApi): Promise<Result>;
  finish(result: Result, msg: Msg): Finished<Out>;
}

export type InputHandler<Msg, Out> = (msg: Msg, send: (out: Out) => void, done: (err?: Error) => void) => void;

/**
 * Shows at once why the node cannot work (no site, unusable site settings, its own settings),
 * then returns its input handler. A refused or failed message goes to done(err), so a Catch
 * node gets it with the reason.
 */
export function actionNode<Msg, Result, Out>(spec: ActionSpec<Msg, Result, Out>): InputHandler<Msg, Out> {
  const { node, site, t } = spec;
  const refusal = refusalOf(site, t, spec.badConfig);
  if (refusal) node.status(refusal.badge);
  return (msg, send, done) => {
    if (refusal || !site) {
      done(new Error(refusal?.error ?? t('errors.no-site')));
      return;
    }
    node.status({ fill: 'blue', shape: 'ring', text: t(spec.working) });
    // finish() runs inside the chain so a result it cannot place (say, a bad "Result in" path) fails like any other error.
    spec.run(msg, site.client).then((result) => spec.finish(result, msg)).then(({ badge, send: out }) => {
      node.status(badge);
      if (out !== undefined) send(out);
      done();
    }, (err: unknown) => {
      const failure = failureStatus(err);
      node.status({ fill: 'red', shape: 'dot', text: t(`status.failed-${failure.kind}`, { status: failure.status ?? '' }) });
      done(err instanceof Error ? err : new Error(String(err)));
    });
  };
}

/** Why a node cannot work at all, found at deploy: the red ring to show and the error each message gets. */
export function refusalOf(site: FptrSiteNode | null, t: Translate, badConfig: string | undefined): { badge: Badge; error: string } | undefined {
  if (!site) return { badge: ring(t('status.no-site')), error: t('errors.no-site') };
  if (site.configError) {
    // The badge keeps to the point; a hint in parentheses is left to the error a Catch node gets.
    const short = site.configError.replace(/\s*\(.*$/, '');
    return { badge: ring(t('status.site-config', { reason: short })), error: t('errors.site-config', { reason: site.configError }) };
  }
  if (badConfig) return { badge: ring(t(`status.${badConfig}`)), error: t(`errors.${badConfig}`) };
  return undefined;
}

function ring(text: string): Badge {
  return { fill: 'red', shape: 'ring', text };
}
