import type { FptrApi } from '../../lib/fptr/client/api';
import type { StoredCursor } from '../../lib/fptr/events/event-log-cursor';
import type { EventLogMessage } from '../../lib/fptr/events/event-log-delivery';
import { parseEventLogSettings, type RawEventLogSettings } from '../../lib/fptr/events/event-log-settings';
import {
  EventLogPoller,
  type AckOutcome,
  type CursorStore,
  type PollerNotice,
} from '../../lib/fptr/events/event-log-poller';

/**
 * Drives an event-log poller against a real site (the simulator over loopback) and records what
 * it sends, reports and stores. Waits are for outcomes, with generous limits; nothing is timed.
 */

/** Waits until `condition` holds, checking every few ms; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A store in memory; `freeze()` makes later writes vanish, like a process killed before they reach disk. */
export class MemoryCursorStore implements CursorStore {
  saves = 0;
  private frozen = false;

  constructor(public value: unknown = undefined) {}

  load(): Promise<unknown> {
    return Promise.resolve(structuredClone(this.value));
  }

  save(cursor: StoredCursor): Promise<void> {
    if (!this.frozen) {
      this.value = structuredClone(cursor);
      this.saves++;
    }
    return Promise.resolve();
  }

  freeze(): StoredCursor {
    this.frozen = true;
    return structuredClone(this.value) as StoredCursor;
  }
}

export interface RunOptions {
  api: Pick<FptrApi, 'search'>;
  siteUrl: string;
  settings: RawEventLogSettings;
  store?: CursorStore;
  /**
   * In ack mode: how each sent message is acknowledged (on a later turn, as a flow would);
   * undefined leaves it in flight. Default: success.
   */
  ack?: (msg: EventLogMessage) => AckOutcome | undefined;
  nodeId?: string;
}

export class PollerRun {
  readonly sent: EventLogMessage[] = [];
  readonly acked = new Set<number>();
  readonly notices: PollerNotice[] = [];
  readonly gaveUp: Array<{ msg: EventLogMessage; detail: string }> = [];
  /** Every phase the status went through, in order (repeats collapsed). */
  readonly phases: string[] = [];
  readonly poller: EventLogPoller;
  /** Most messages sent and not yet acknowledged at once. */
  maxOutstanding = 0;
  private outstanding = 0;
  private stopped = false;

  constructor(options: RunOptions) {
    const ack = options.ack ?? (() => ({ ok: true }));
    const settings = parseEventLogSettings(options.settings);
    this.poller = new EventLogPoller({
      api: options.api,
      siteUrl: options.siteUrl,
      nodeId: options.nodeId ?? 'events-node',
      settings,
      store: options.store ?? new MemoryCursorStore(),
      saveDelayMs: 20,
      hooks: {
        send: (msg) => {
          this.sent.push(msg);
          if (settings.commit !== 'ack') return;
          this.outstanding++;
          this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
          setImmediate(() => {
            if (this.stopped) return;
            const outcome = ack(msg);
            if (!outcome) return;
            this.outstanding--;
            const result = this.poller.acknowledge(msg.fptr.eventId, msg.fptr.ticket, outcome);
            if (result === 'committed') this.acked.add(msg.fptr.eventId);
          });
        },
        gaveUp: (msg, detail) => this.gaveUp.push({ msg, detail }),
        notice: (notice) => this.notices.push(notice),
        changed: () => {
          const phase = this.poller.status().phase;
          if (this.phases[this.phases.length - 1] !== phase) this.phases.push(phase);
        },
      },
    });
  }

  start(): this {
    this.poller.start();
    return this;
  }

  /** Stops acknowledging (a crashed flow) and the poller. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.poller.close();
  }

  ids(): number[] {
    return this.sent.map((m) => m.fptr.eventId);
  }

  noticesOf<K extends PollerNotice['kind']>(kind: K): Array<Extract<PollerNotice, { kind: K }>> {
    return this.notices.filter((n): n is Extract<PollerNotice, { kind: K }> => n.kind === kind);
  }

  /** Every id reported as given up, ascending. */
  givenUpIds(): number[] {
    const ids: number[] = [];
    for (const n of this.noticesOf('gaps-given-up'))
      for (const [from, to] of n.ranges) for (let id = from; id <= to; id++) ids.push(id);
    return ids.sort((a, b) => a - b);
  }
}

/** `from..to` inclusive. */
export function idRange(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
