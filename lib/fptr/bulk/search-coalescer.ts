import type { FilterGroup, Filters, FlatRecord, FptrApi, SearchOptions } from '../client/api';
import { inTurns } from '../../util/in-turns';
import { isCallerFault } from './caller-fault';
import { evaluate, localPaths } from './filter-eval';
import { DEFAULT_MAX_IN_FLIGHT, type CoalescerOptions } from './read-coalescer';
import { WindowBatcher } from './window-batcher';

interface PendingSearch {
  entityType: string;
  options: SearchOptions;
  filters: Filters;
  /** Paths the filters read, fetched so they can be judged locally. */
  paths: string[];
  /** The caller's own field list; undefined means every field (`*`). */
  fields: string[] | undefined;
  /** Same text, same filters and fields: one answer serves both. */
  same: string;
  filterKey: string;
  resolve(records: FlatRecord[]): void;
  reject(err: unknown): void;
}

/** Callers combined into one search: keeps the `or` group, and the work of routing, modest. */
export const MAX_SEARCHES_COMBINED = 100;

/**
 * Searches that arrive within a short window, for the same entity type, sort and options, go
 * out as one search whose filters are the callers' filters joined with `or`. Each record is then
 * routed back by judging every caller's filters locally (filter-eval.ts). A caller gets exactly
 * the records its own search would have returned, in the same order, with its own fields:
 *
 * - only searches without a limit or page size, whose filters are all judged with certainty
 *   (see filter-eval.ts), are combined; the others go out alone at once;
 * - where a record leaves a caller's filters undecided, that caller's search goes out alone;
 * - when FPTR refuses the combined search for something a caller sent (a bad field name), the
 *   callers are split in halves until the one at fault gets FPTR's answer to its own search.
 */
export class SearchCoalescer {
  readonly #api: FptrApi;
  readonly #batcher: WindowBatcher<PendingSearch> | undefined;

  constructor(api: FptrApi, options: CoalescerOptions) {
    this.#api = api;
    if (options.windowMs > 0) {
      this.#batcher = new WindowBatcher<PendingSearch>({
        windowMs: options.windowMs,
        maxItems: Math.min(options.maxItems ?? MAX_SEARCHES_COMBINED, MAX_SEARCHES_COMBINED),
        maxInFlight: options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
        send: (_key, searches) => this.#send(searches),
        abandon: (search, err) => search.reject(err),
      });
    }
  }

  search(entityType: string, options: SearchOptions = {}): Promise<FlatRecord[]> {
    const pending = this.#batcher ? combinable(entityType, options) : undefined;
    if (!pending || !this.#batcher) return this.#api.search(entityType, options);
    const batcher = this.#batcher;
    return new Promise((resolve, reject) => {
      const key = JSON.stringify([
        entityType,
        pending.fields === undefined,
        options.sort ?? null,
        options.returnOnly ?? null,
        options.includeArchivedProjects ?? null,
      ]);
      batcher.add(key, { ...pending, resolve, reject });
    });
  }

  /** Sends every waiting search now (the node is closing). */
  flush(): void {
    this.#batcher?.flush();
  }

  async #send(searches: PendingSearch[]): Promise<void> {
    const first = searches[0];
    if (searches.every((s) => s.same === first.same)) {
      await this.#alone(searches);
      return;
    }
    const sets = new Map<string, Filters>();
    for (const s of searches) sets.set(s.filterKey, s.filters);
    const star = first.fields === undefined;
    const fields = star
      ? ['*']
      : [...new Set(searches.flatMap((s) => [...(s.fields ?? []), ...s.paths.filter((p) => p !== 'id')]))];
    const combined: SearchOptions = {
      filters: { logical_operator: 'or', conditions: [...sets.values()].map(asGroup) },
      fields,
    };
    for (const option of ['sort', 'returnOnly', 'includeArchivedProjects'] as const) {
      if (first.options[option] !== undefined) Object.assign(combined, { [option]: first.options[option] });
    }
    let records: FlatRecord[];
    try {
      records = await this.#api.search(first.entityType, combined);
    } catch (err) {
      if (!isCallerFault(err)) {
        inTurns(searches.map((s) => () => s.reject(err)));
        return;
      }
      const half = Math.ceil(searches.length / 2);
      await Promise.all([this.#send(searches.slice(0, half)), this.#send(searches.slice(half))]);
      return;
    }
    const routed = route(records, sets);
    const aloneGroups = new Map<string, PendingSearch[]>();
    const settles: Array<() => void> = [];
    for (const s of searches) {
      const matches = routed?.get(s.filterKey);
      if (matches) settles.push(() => s.resolve(matches.map((record) => project(record, s.fields))));
      else aloneGroups.set(s.same, [...(aloneGroups.get(s.same) ?? []), s]);
    }
    inTurns(settles);
    await Promise.all([...aloneGroups.values()].map((group) => this.#alone(group)));
  }

  /** One search for callers that asked the same thing; each gets its own copy of the answer. */
  async #alone(searches: PendingSearch[]): Promise<void> {
    const first = searches[0];
    try {
      const records = await this.#api.search(first.entityType, first.options);
      // Copies made now, before the first caller's flow runs and could change the original.
      const copies = searches.map((_, i) => (i === 0 ? records : structuredClone(records)));
      inTurns(searches.map((s, i) => () => s.resolve(copies[i]!)));
    } catch (err) {
      inTurns(searches.map((s) => () => s.reject(err)));
    }
  }
}

/** What a search needs to be combined, or undefined when it must go out alone. */
function combinable(entityType: string, options: SearchOptions): Omit<PendingSearch, 'resolve' | 'reject'> | undefined {
  if (options.limit !== undefined || options.pageSize !== undefined) return undefined;
  const filters = options.filters ?? [];
  const paths = localPaths(filters);
  if (!paths) return undefined;
  const list = options.fields ?? [];
  let fields: string[] | undefined;
  if (list.length === 0 || (list.length === 1 && list[0] === '*')) {
    // `*` cannot be widened by dotted paths, so only filters on the record's own fields are judged.
    if (paths.some((p) => p.includes('.'))) return undefined;
    fields = undefined;
  } else {
    if (list.includes('*')) return undefined;
    fields = list;
  }
  const filterKey = JSON.stringify(filters);
  return { entityType, options, filters, paths, fields, filterKey, same: JSON.stringify([filterKey, fields ?? null]) };
}

function asGroup(filters: Filters): FilterGroup {
  return Array.isArray(filters) ? { logical_operator: 'and', conditions: filters } : filters;
}

/**
 * The records of each filter set, in the order FPTR returned them; a set that some record
 * leaves undecided is left out. A record that every set certainly refuses means FPTR judged
 * differently than this module does: then no set is trusted (undefined).
 */
function route(records: FlatRecord[], sets: Map<string, Filters>): Map<string, FlatRecord[]> | undefined {
  const matches = new Map<string, FlatRecord[]>([...sets.keys()].map((key) => [key, []]));
  const undecided = new Set<string>();
  for (const record of records) {
    let possible = false;
    for (const [key, filters] of sets) {
      const truth = evaluate(filters, record);
      if (truth === false) continue;
      possible = true;
      if (truth) matches.get(key)?.push(record);
      else undecided.add(key);
    }
    if (!possible) return undefined;
  }
  for (const key of undecided) matches.delete(key);
  return matches;
}

/** The record as the caller's own search returns it: its own fields only, its own copy. */
function project(record: FlatRecord, fields: string[] | undefined): FlatRecord {
  if (!fields) return structuredClone(record);
  const keep = new Set(['type', 'id', ...fields]);
  return structuredClone(Object.fromEntries(Object.entries(record).filter(([key]) => keep.has(key)))) as FlatRecord;
}
