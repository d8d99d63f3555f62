import type { EventLogMessage } from '../fptr/events/event-log-delivery';
import type { BackstopSettings, EventLogSettings } from '../fptr/events/event-log-settings';
import { BackstopGate } from '../fptr/webhook/backstop-gate';
import { eventKey } from '../fptr/webhook/event-key';
import { subscriptionMatches } from '../fptr/webhook/subscription';
import type { WebhookHandle } from './webhook-registry';

/**
 * fptr-events-in as the backstop of an fptr-webhook-in node: every event-log event waits the
 * grace period, then goes on only when the webhook has not delivered it (the webhook node's
 * duplicate check has not seen its event key), and is claimed there so a late webhook delivery
 * is dropped. With no filters of its own, only events the webhook subscribes to are considered.
 */

export type BackstopProblem = 'not-found' | 'other-site' | 'no-dedup';

export interface BackstopOptions {
  settings: BackstopSettings;
  /** The node's own event-log filter: when it filters nothing, the webhook's subscription does. */
  filter: EventLogSettings['filter'];
  /** The fptr-site of the events node; the webhook must name the same. */
  siteId: string | undefined;
  /** The deployed webhook node, looked up at each use (it may start later or be redeployed). */
  webhook: () => WebhookHandle | undefined;
  /** Sends an event on. */
  emit: (msg: EventLogMessage) => void;
  /** An event the webhook delivered, or one outside its subscription: finished without sending. */
  skip: (msg: EventLogMessage) => void;
  /** The webhook cannot be consulted; every event is sent after the grace period. Told once per kind. */
  problem: (kind: BackstopProblem) => void;
}

export class Backstop {
  private readonly gate: BackstopGate<EventLogMessage>;
  private timer: NodeJS.Timeout | undefined;
  /** A release waiting for its claim: the next one starts after it, so events go on in order. */
  private releasing = false;
  private closed = false;
  private readonly told = new Set<BackstopProblem>();
  private readonly ownFilter: boolean;

  constructor(private readonly options: BackstopOptions) {
    this.gate = new BackstopGate({ graceMs: options.settings.graceMs, claim: (keys, now) => this.claim(keys, now) });
    const { eventTypes, projects, entityTypes } = options.filter;
    this.ownFilter = eventTypes.length + projects.length + entityTypes.length > 0;
  }

  get counts(): { emitted: number; covered: number } {
    return this.gate.counts;
  }

  offer(msg: EventLogMessage): void {
    const subscription = this.ownFilter ? undefined : this.webhook()?.subscription;
    if (subscription && !subscriptionMatches(subscription, msg.payload)) return this.options.skip(msg);
    this.gate.hold(msg, eventKey(msg.payload), Date.now());
    this.schedule();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.gate.clear();
  }

  private webhook(): WebhookHandle | undefined {
    const handle = this.options.webhook();
    if (!handle) return this.tell('not-found');
    if (handle.siteId !== this.options.siteId) return this.tell('other-site');
    return handle;
  }

  private async claim(keys: string[], now: number): Promise<boolean[]> {
    const handle = this.webhook();
    if (handle && !handle.claim) this.tell('no-dedup');
    return handle?.claim ? handle.claim(keys, now) : keys.map(() => false);
  }

  private tell(kind: BackstopProblem): undefined {
    if (!this.told.has(kind)) {
      this.told.add(kind);
      this.options.problem(kind);
    }
    return undefined;
  }

  private schedule(): void {
    if (this.timer || this.releasing || this.closed) return;
    const due = this.gate.nextDueAt();
    if (due === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.releasing = true;
        void this.gate.release(Date.now()).then((released) => {
          this.releasing = false;
          // Closed meanwhile: these events were not committed, so the event log sends them again.
          if (this.closed) return;
          for (const { item, outcome } of released) {
            if (outcome === 'emit') this.options.emit(item);
            else this.options.skip(item);
          }
          this.schedule();
        });
      },
      Math.max(0, due - Date.now()),
    );
  }
}
