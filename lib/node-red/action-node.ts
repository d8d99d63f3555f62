import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { FptrApi } from '../fptr/client/api';
import { failureKind } from '../fptr/client/failure-kind';
import { asError } from '../util/errors';
import type { Messages } from './i18n';
import type { FptrSite } from './site';
import { ring, type Badge } from './status';

/*
 * The part the action nodes (find, update, acknowledge, redeliver) share: refuse to work without
 * a usable site, show what they are doing, and turn the outcome of one message's work into a
 * badge, an output and done().
 */

/** What `node.send()` takes: one message, or messages per output. */
export type Output = NodeMessage | Array<NodeMessage | NodeMessage[] | null>;

/** How one message's work ended well: the badge to show and, unless omitted, what to send. */
export interface Finished {
  badge: Badge;
  send?: Output;
}

export interface ActionSpec<Result> {
  node: Pick<Node, 'status'>;
  site: FptrSite | null;
  t: Messages;
  /**
   * Set when the node's own settings are unusable: the name of its `status.<name>` and
   * `errors.<name>` messages.
   */
  badConfig?: string;
  /** Catalog key (below the node type) of the badge shown while a message is being worked on. */
  working: string;
  run(msg: NodeMessageInFlow, api: FptrApi): Promise<Result>;
  finish(result: Result, msg: NodeMessageInFlow): Finished;
}

export type InputHandler = (msg: NodeMessageInFlow, send: (out: Output) => void, done: (err?: Error) => void) => void;

/**
 * Shows at once why the node cannot work (no site, unusable site settings, its own settings),
 * then returns its input handler. A refused or failed message goes to done(err), so a Catch
 * node gets it with the reason.
 */
export function actionNode<Result>(spec: ActionSpec<Result>): InputHandler {
  const { node, site, t } = spec;
  const refusal = refusalOf(site, t, spec.badConfig);
  if (refusal) node.status(refusal.badge);
  return (msg, send, done) => {
    if (refusal || !site) {
      done(new Error(refusal?.error ?? t.shared('errors.no-site')));
      return;
    }
    node.status({ fill: 'blue', shape: 'ring', text: t.key(spec.working) });
    // finish() runs inside the chain so a result it cannot place (say, a bad "Result in" path) fails like any other error.
    spec
      .run(msg, site.client)
      .then((result) => spec.finish(result, msg))
      .then(
        ({ badge, send: out }) => {
          node.status(badge);
          if (out !== undefined) send(out);
          done();
        },
        (err: unknown) => {
          node.status(failureBadge(err, t));
          done(asError(err));
        },
      );
  };
}

/** The short red badge of a failed message; the full message goes to the Catch node. */
function failureBadge(err: unknown, t: Messages): Badge {
  const failure = failureKind(err);
  const text =
    failure.kind === 'http'
      ? t.shared('status.failed-http', { status: failure.status })
      : t.sharedKey(`status.failed-${failure.kind}`);
  return { fill: 'red', shape: 'dot', text };
}

/** Why a node cannot work at all, found at deploy: the red ring to show and the error each message gets. */
export function refusalOf(
  site: FptrSite | null,
  t: Messages,
  badConfig: string | undefined,
): { badge: Badge; error: string } | undefined {
  if (!site) return { badge: ring(t.sharedKey('status.no-site')), error: t.shared('errors.no-site') };
  if (site.configError) {
    // The badge keeps to the point; a hint in parentheses is left to the error a Catch node gets.
    const short = site.configError.replace(/\s*\(.*$/, '');
    return {
      badge: ring(t.shared('status.site-config', { reason: short })),
      error: t.shared('errors.site-config', { reason: site.configError }),
    };
  }
  if (badConfig) return { badge: ring(t.key(`status.${badConfig}`)), error: t(`errors.${badConfig}`) };
  return undefined;
}
