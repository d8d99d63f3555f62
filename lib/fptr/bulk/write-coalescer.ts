import type { BatchRequest, FlatRecord, FptrApi } from '../client/api';
import { inTurns } from '../../util/in-turns';
import { isCallerFault } from './caller-fault';
import { DEFAULT_MAX_IN_FLIGHT, type CoalescerOptions } from './read-coalescer';
import { WindowBatcher } from './window-batcher';

export type BatchRow = FlatRecord | { type: string; id: number; deleted: true };

/** One caller's writes: all applied or none, as if sent on their own. */
interface Unit {
  /** How the writes join a combined `_batch`; absent when they can only go alone (revive, a batch too big to share). */
  shared: Shared | undefined;
  /** Records written (`Type:id`): writes to one record leave in the order they arrived. */
  records: string[];
  /** Exactly what the caller would have sent without coalescing. */
  alone(): Promise<unknown>;
  resolve(result: unknown): void;
  reject(err: unknown): void;
}

interface Shared {
  requests: BatchRequest[];
  /** The caller's result from its rows of the combined answer. */
  fromRows(rows: BatchRow[]): unknown;
}

/** FPTR documents no `_batch` limit; larger batches were measured to get slow (fptr-api.md §2.9). */
export const MAX_BATCH_ENTRIES = 200;

/**
 * Writes that arrive within a short window — single creates, updates and deletes, and whole
 * operation arrays — go out as `_batch` requests of at most 200 entries, each caller's entries
 * side by side in arrival order. FPTR applies a `_batch` entirely or not at all, so when one
 * fails for something a caller sent, it is split in halves, then halves of those, until each
 * caller's writes went through or failed on their own — the way they would have been sent
 * without coalescing (a single update as a PUT, an array as its own `_batch`), so a caller gets
 * FPTR's answer to its own request, word for word, and the others are unaffected.
 *
 * Writes to the same record, and creates of the same type, are applied in the order they
 * arrived: a request waits for the earlier requests that write any of its records.
 */
export class WriteCoalescer {
  readonly #api: FptrApi;
  readonly #batcher: WindowBatcher<Unit> | undefined;
  readonly #maxEntries: number;
  /** Per record, the last request that writes it. */
  readonly #tails = new Map<string, Promise<void>>();

  constructor(api: FptrApi, options: CoalescerOptions & { maxEntries?: number }) {
    this.#api = api;
    this.#maxEntries = Math.min(options.maxEntries ?? MAX_BATCH_ENTRIES, MAX_BATCH_ENTRIES);
    if (options.windowMs > 0) {
      this.#batcher = new WindowBatcher<Unit>({
        windowMs: options.windowMs,
        maxItems: options.maxItems ?? this.#maxEntries,
        maxInFlight: options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
        send: (_key, units) => this.#send(units),
        abandon: (unit, err) => unit.reject(err),
      });
    }
  }

  create(entityType: string, data: Record<string, unknown>): Promise<FlatRecord> {
    return this.#write(
      [{ request_type: 'create', entity: entityType, data }],
      [newRecordKey(entityType)],
      () => this.#api.create(entityType, data),
      firstRow,
    );
  }

  update(entityType: string, id: number, data: Record<string, unknown>): Promise<FlatRecord> {
    return this.#write(
      [{ request_type: 'update', entity: entityType, record_id: id, data }],
      [recordKey(entityType, id)],
      () => this.#api.update(entityType, id, data),
      firstRow,
    );
  }

  delete(entityType: string, id: number): Promise<void> {
    return this.#write(
      [{ request_type: 'delete', entity: entityType, record_id: id }],
      [recordKey(entityType, id)],
      () => this.#api.delete(entityType, id),
      () => undefined,
    );
  }

  /** `_batch` cannot revive; it still waits its turn behind earlier writes to the record. */
  revive(entityType: string, id: number): Promise<boolean> {
    return this.#write(undefined, [recordKey(entityType, id)], () => this.#api.revive(entityType, id));
  }

  /** An operation array, all or nothing, as `api.batch` sends it. */
  batch(requests: BatchRequest[]): Promise<BatchRow[]> {
    const shareable = requests.length > 0 && requests.length <= this.#maxEntries;
    const records = requests.map((r) =>
      r.request_type === 'create' ? newRecordKey(r.entity) : recordKey(r.entity, r.record_id),
    );
    return this.#write(
      shareable ? requests : undefined,
      records,
      () => this.#api.batch(requests),
      (rows) => rows,
    );
  }

  /** Sends every waiting write now (the node is closing). */
  flush(): void {
    this.#batcher?.flush();
  }

  #write<R>(
    requests: BatchRequest[] | undefined,
    records: string[],
    alone: () => Promise<R>,
    fromRows?: (rows: BatchRow[]) => R,
  ): Promise<R> {
    if (!this.#batcher) return alone();
    const batcher = this.#batcher;
    const shared = requests && fromRows ? { requests, fromRows } : undefined;
    return new Promise<R>((resolve, reject) => {
      // One key for all writes: their order of arrival is their order on the way out.
      batcher.add('', { shared, records, alone, resolve: resolve as (result: unknown) => void, reject });
    });
  }

  async #send(units: Unit[]): Promise<void> {
    const groups: Unit[][] = [];
    let current: Unit[] = [];
    let entries = 0;
    for (const unit of units) {
      const size = unit.shared?.requests.length;
      if (size === undefined || entries + size > this.#maxEntries) {
        if (current.length > 0) groups.push(current);
        current = [];
        entries = 0;
      }
      if (size === undefined) {
        groups.push([unit]);
      } else {
        current.push(unit);
        entries += size;
      }
    }
    if (current.length > 0) groups.push(current);
    await Promise.all(groups.map((group) => this.#inTurn(group)));
  }

  /** Sends `units` once every earlier request writing one of their records has finished. */
  #inTurn(units: Unit[]): Promise<void> {
    const records = [...new Set(units.flatMap((u) => u.records))];
    const before = records.map((r) => this.#tails.get(r)).filter((p): p is Promise<void> => p !== undefined);
    const sent = Promise.all(before).then(() => this.#combined(units));
    // Whatever became of this request, the next one for these records may go.
    const finished = sent.then(
      () => undefined,
      () => undefined,
    );
    for (const r of records) this.#tails.set(r, finished);
    void finished.then(() => {
      for (const r of records) if (this.#tails.get(r) === finished) this.#tails.delete(r);
    });
    return sent;
  }

  /** One `_batch` for all `units`; on a refusal caused by its content, each half on its own, in order. */
  async #combined(units: Unit[]): Promise<void> {
    if (units.length === 1) {
      await settle(units[0], units[0].alone());
      return;
    }
    const requests = units.flatMap((u) => u.shared?.requests ?? []);
    let rows: BatchRow[];
    try {
      rows = await this.#api.batch(requests, { chunkSize: requests.length });
    } catch (err) {
      if (!isCallerFault(err)) {
        inTurns(units.map((u) => () => u.reject(err)));
        return;
      }
      const half = Math.ceil(units.length / 2);
      await this.#combined(units.slice(0, half));
      await this.#combined(units.slice(half));
      return;
    }
    let offset = 0;
    const settles: Array<() => void> = [];
    for (const u of units) {
      const count = u.shared?.requests.length ?? 0;
      const own = rows.slice(offset, offset + count);
      settles.push(() => u.resolve(u.shared?.fromRows(own)));
      offset += count;
    }
    inTurns(settles);
  }
}

async function settle(unit: Unit, result: Promise<unknown>): Promise<void> {
  try {
    unit.resolve(await result);
  } catch (err) {
    unit.reject(err);
  }
}

function firstRow(rows: BatchRow[]): FlatRecord {
  return rows[0] as FlatRecord;
}

function recordKey(entityType: string, id: number): string {
  return `${entityType}:${id}`;
}

/** Creates of one type keep their order too, so new ids grow in the order the writes arrived. */
function newRecordKey(entityType: string): string {
  return `${entityType}:new`;
}
