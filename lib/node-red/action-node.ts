import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { PushBack } from '../fptr/client/adaptive-limit';
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
  node: Pick<Node, 'status' | 'on'>;
  site: FptrSite | null;
  t: Messages;
  /**
   * Set when the node's own settings are unusable: the name of its `status.<name>` and
   * `errors.<name>` messages, or `{shared: name}` for the shared catalog's.
   */
  badConfig?: string | { shared: string };
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
  const badges = refusal || !site ? undefined : new PushBackBadges(node, site.client, t);
  return (msg, send, done) => {
    if (refusal || !site) {
      done(new Error(refusal?.error ?? t.shared('errors.no-site')));
      return;
    }
    badges?.show({ fill: 'blue', shape: 'ring', text: t.key(spec.working) });
    // finish() runs inside the chain so a result it cannot place (say, a bad "Result in" path) fails like any other error.
    spec
      .run(msg, site.client)
      .then((result) => spec.finish(result, msg))
      .then(
        ({ badge, send: out }) => {
          badges?.show(badge);
          if (out !== undefined) send(out);
          done();
        },
        (err: unknown) => {
          badges?.show(failureBadge(err, t));
          done(asError(err));
        },
      );
  };
}

/**
 * The node's badges, except that while the site pushes back (429/503: fewer requests at a
 * time, or a pause it asked for) a yellow ring says so in place of "working" and "done":
 * the node is slower than usual, and this is why. Failures still show in red.
 */
class PushBackBadges {
  #pushBack: PushBack | undefined;
  #last: Badge | undefined;

  constructor(
    private readonly node: Pick<Node, 'status' | 'on'>,
    client: FptrApi,
    private readonly t: Messages,
  ) {
    const stop = client.onPushBack?.((state) => {
      const limited = state.limit < state.max || state.pausedUntil !== undefined;
      if (!limited && !this.#pushBack) return;
      this.#pushBack = limited ? state : undefined;
      if (this.#last) this.show(this.#last);
    });
    if (stop) node.on('close', stop);
  }

  show(badge: Badge): void {
    this.#last = badge;
    const state = this.#pushBack;
    if (!state || badge.fill === 'red') {
      this.node.status(badge);
      return;
    }
    const text =
      state.pausedUntil !== undefined
        ? this.t.shared('status.site-paused', {
            seconds: Math.max(1, Math.ceil((state.pausedUntil - Date.now()) / 1000)),
          })
        : this.t.shared('status.site-busy', { limit: state.limit, max: state.max });
    this.node.status({ fill: 'yellow', shape: 'ring', text });
  }
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
  badConfig: string | { shared: string } | undefined,
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
  if (typeof badConfig === 'object') {
    return { badge: ring(t.sharedKey(`status.${badConfig.shared}`)), error: t.shared(`errors.${badConfig.shared}`) };
  }
  if (badConfig) return { badge: ring(t.key(`status.${badConfig}`)), error: t(`errors.${badConfig}`) };
  return undefined;
}
