import type { Node } from 'node-red';
import type { DedupWindow } from '../fptr/webhook/dedup-window';
import type { Messages } from './i18n';

/** Node context key holding the dedup snapshot. */
const DEDUP_KEY = 'fptrWebhookDedup';
/** How often a changed dedup state is written to its context store (also on close). */
const SAVE_DELAY_MS = 30_000;

/**
 * Keeps a webhook node's duplicate detection in its node context, so a persistent or shared
 * context store carries it across restarts (the node's help: locales/en-US/fptr-webhook-in.html).
 * Loaded once at start, saved a while after it changed and when the node closes.
 */
export class DedupStore {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly node: Node,
    private readonly window: DedupWindow,
    /** Context store name; undefined = the default store. */
    private readonly store: string | undefined,
    private readonly t: Messages,
  ) {
    node.context().get(DEDUP_KEY, store, (err: Error | undefined, value: unknown) => {
      if (err) node.warn(t('errors.dedup-load', { error: err.message }));
      else if (!this.closed) window.restore(value);
    });
  }

  /** The window may have changed: save it within a while. */
  changed(): void {
    if (this.window.dirty && !this.timer && !this.closed) this.timer = setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  /** Saves what changed, unless the node was removed: the runtime deletes a removed node's context. */
  close(removed: boolean, done: () => void): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.window.dirty && !removed) this.save(done);
    else done();
  }

  private save(onSaved?: () => void): void {
    this.timer = undefined;
    this.window.dirty = false;
    this.node.context().set(DEDUP_KEY, this.window.snapshot(), this.store, (err?: Error) => {
      if (err) this.node.warn(this.t('errors.dedup-save', { error: err.message }));
      onSaved?.();
    });
  }
}
