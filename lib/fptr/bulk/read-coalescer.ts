import type { FlatRecord, FptrApi } from '../client/api';
import { inTurns } from '../../util/in-turns';
import { isCallerFault } from './caller-fault';
import { WindowBatcher } from './window-batcher';

export interface ReadOptions {
  fields?: string[];
  returnOnly?: 'active' | 'retired';
}

export interface CoalescerOptions {
  /** How long the first caller waits for others, in ms; 0 sends every call on its own. */
  windowMs: number;
  /** Most callers served by one request. */
  maxItems?: number;
  /** Requests of one kind sent at a time before later callers wait and join the next one. */
  maxInFlight?: number;
}

interface PendingRead {
  entityType: string;
  id: number;
  options: ReadOptions;
  resolve(record: FlatRecord): void;
  reject(err: unknown): void;
}

/** One `_search` page: FPTR's default page size, so the ids of a full group fit in one request. */
export const MAX_IDS_PER_SEARCH = 500;
export const DEFAULT_MAX_IN_FLIGHT = 2;

/**
 * Reads by id that arrive within a short window, for the same entity type, fields and
 * `return_only`, go out as one `_search` with `id in [...]`. Each caller still gets exactly what
 * `api.read` would have given it: its own record, or — for an id the search did not return —
 * the answer of its own single read (FPTR's own "not found", word for word).
 */
export class ReadCoalescer {
  readonly #api: FptrApi;
  readonly #batcher: WindowBatcher<PendingRead> | undefined;

  constructor(api: FptrApi, options: CoalescerOptions) {
    this.#api = api;
    if (options.windowMs > 0) {
      this.#batcher = new WindowBatcher<PendingRead>({
        windowMs: options.windowMs,
        maxItems: Math.min(options.maxItems ?? MAX_IDS_PER_SEARCH, MAX_IDS_PER_SEARCH),
        maxInFlight: options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
        send: (_key, reads) => this.#send(reads),
        abandon: (read, err) => read.reject(err),
      });
    }
  }

  read(entityType: string, id: number, options: ReadOptions = {}): Promise<FlatRecord> {
    if (!this.#batcher) return this.#api.read(entityType, id, options);
    const batcher = this.#batcher;
    return new Promise((resolve, reject) => {
      const key = JSON.stringify([entityType, options.fields ?? null, options.returnOnly ?? null]);
      batcher.add(key, { entityType, id, options, resolve, reject });
    });
  }

  /** Sends every waiting read now (the node is closing). */
  flush(): void {
    this.#batcher?.flush();
  }

  async #send(reads: PendingRead[]): Promise<void> {
    const { entityType, options } = reads[0];
    const byId = new Map<number, PendingRead[]>();
    for (const read of reads) byId.set(read.id, [...(byId.get(read.id) ?? []), read]);
    const ids = [...byId.keys()];
    if (ids.length === 1) {
      await this.#readAlone(entityType, ids[0], options, reads);
      return;
    }
    let records: FlatRecord[];
    try {
      records = await this.#api.search(entityType, {
        filters: [['id', 'in', ids]],
        fields: options.fields,
        returnOnly: options.returnOnly,
        limit: ids.length,
      });
    } catch (err) {
      if (!isCallerFault(err)) {
        inTurns(reads.map((read) => () => read.reject(err)));
        return;
      }
      // Whatever FPTR disliked, each caller gets the answer its own read gets.
      await Promise.all(ids.map((id) => this.#readAlone(entityType, id, options, byId.get(id) ?? [])));
      return;
    }
    const found = new Map(records.map((record) => [record.id, record]));
    const missing: number[] = [];
    const settles: Array<() => void> = [];
    for (const id of ids) {
      const record = found.get(id);
      if (record) settles.push(...deliveries(record, byId.get(id) ?? []));
      else missing.push(id);
    }
    inTurns(settles);
    await Promise.all(missing.map((id) => this.#readAlone(entityType, id, options, byId.get(id) ?? [])));
  }

  async #readAlone(entityType: string, id: number, options: ReadOptions, waiting: PendingRead[]): Promise<void> {
    try {
      inTurns(deliveries(await this.#api.read(entityType, id, options), waiting));
    } catch (err) {
      inTurns(waiting.map((read) => () => read.reject(err)));
    }
  }
}

/**
 * Every caller gets a record of its own: flows may change what they were given. The copies are
 * made now, before the first caller's flow runs and could change the original.
 */
function deliveries(record: FlatRecord, waiting: PendingRead[]): Array<() => void> {
  const copies = waiting.map((_, i) => (i === 0 ? record : structuredClone(record)));
  return waiting.map((read, i) => () => read.resolve(copies[i]!));
}
