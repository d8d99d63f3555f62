import type { FilterCondition, FlatRecord, FptrApi } from '../client/api';
import { EVENT_FIELDS, logEventOf, type LogEvent } from './event-log-delivery';
import { withIdCondition, type EventLogQuery } from './event-log-query';

/**
 * The REST reads of an event-log poller (fptr-api.md §6.4): the newest id, the last id before a
 * date, the next stretch of the log, and chosen ids. Stateless: the poller owns the cursor.
 */

export const EVENT_LOG = 'EventLogEntry';
/** The largest page FPTR serves (fptr-api.md §2.11): ids-only reads are small rows. */
export const ID_PAGE = 5000;
/** Ids per `id in […]` read: keeps each request and its answer modest. */
const LOOKUP_CHUNK = 500;

/** Ids `from..to` that were not in the log when read, and when the next row that was there was made. */
export interface MissingRun {
  from: number;
  to: number;
  /** Epoch ms of `created_at` of the first existing row above the run; NaN when unknown. */
  nextCreatedMs: number;
}

export interface ScanResult {
  /** Every id up to here has been looked at. */
  end: number;
  /** Rows in (after, end] that pass the node's filters, ascending. */
  events: LogEvent[];
  /** Ids in (after, end] that were missing. */
  missing: MissingRun[];
  /** More rows may follow at once (a full page was read). */
  full: boolean;
}

export interface LookupResult {
  /** Rows found that pass the filters, ascending. */
  events: LogEvent[];
  /** Ids found that do not pass the filters. */
  unmatched: number[];
  /** Ids not in the log. */
  missing: number[];
}

interface IdRow {
  id: number;
  createdMs: number;
}

function idRowOf(row: FlatRecord): IdRow | undefined {
  if (!Number.isSafeInteger(row.id) || row.id <= 0) return undefined;
  return { id: row.id, createdMs: typeof row.created_at === 'string' ? Date.parse(row.created_at) : NaN };
}

export class EventLogReader {
  constructor(
    private readonly api: Pick<FptrApi, 'search'>,
    private readonly query: EventLogQuery,
    private readonly pageSize: number,
  ) {}

  /** The id of the newest readable row; 0 when the log is empty. */
  async newestId(): Promise<number> {
    const rows = await this.api.search(EVENT_LOG, { filters: [], fields: ['id'], sort: '-id', limit: 1, pageSize: 1 });
    return idRowOf(rows[0] ?? { type: EVENT_LOG, id: 0 })?.id ?? 0;
  }

  /** The id of the newest row made before `since`; 0 when there is none (start from the beginning). */
  async lastIdBefore(since: Date): Promise<number> {
    const rows = await this.api.search(EVENT_LOG, {
      filters: [['created_at', 'less_than', since.toISOString()]],
      fields: ['id'],
      sort: '-id',
      limit: 1,
      pageSize: 1,
    });
    return idRowOf(rows[0] ?? { type: EVENT_LOG, id: 0 })?.id ?? 0;
  }

  /**
   * The next stretch after `after`. Without query filters the rows show which ids exist. With
   * filters a missing row may just not match, so the ids that exist are read first, unfiltered
   * and ids only: a row committed between the two reads then shows up as a row (sent), never as
   * an id that exists but did not match (dropped).
   */
  async scan(after: number): Promise<ScanResult> {
    const filtered = this.query.conditions.length > 0;
    let ids: IdRow[] = [];
    let idsFull = false;
    if (filtered) {
      const read = await this.page([], after, ['id', 'created_at'], ID_PAGE);
      idsFull = read.length === ID_PAGE;
      ids = ascendingAfter(read.map(idRowOf), after);
    }
    const rows = await this.page(this.query.conditions, after, [...EVENT_FIELDS], this.pageSize);
    const rowsFull = rows.length === this.pageSize;
    const events = ascendingAfter(rows.map(logEventOf), after);

    const lastRow = events.length > 0 ? events[events.length - 1].id : after;
    const lastId = ids.length > 0 ? ids[ids.length - 1].id : after;
    let end: number;
    if (idsFull && rowsFull) end = Math.min(lastId, lastRow);
    else if (idsFull) end = lastId;
    else if (rowsFull) end = lastRow;
    else end = Math.max(lastId, lastRow);

    return this.stretch(after, end, ids, events, idsFull || rowsFull);
  }

  /** What was read of (after, end]: rows committed between an ids read and a rows read count as there. */
  private stretch(after: number, end: number, ids: IdRow[], events: LogEvent[], full: boolean): ScanResult {
    const inRange = events.filter((e) => e.id <= end);
    const existing = new Map<number, number>();
    for (const r of ids) if (r.id > after && r.id <= end) existing.set(r.id, r.createdMs);
    for (const e of inRange) existing.set(e.id, e.createdMs);
    return {
      end,
      events: inRange.filter((e) => this.query.matches(e.delivery)),
      missing: missingRuns(
        after,
        [...existing].sort((a, b) => a[0] - b[0]),
      ),
      full,
    };
  }

  /**
   * The next `ranges` pages' worth of ids after `after`, read at once (catching up): each id
   * range holds at most a page of ids, so one answer covers it, and the ranges need not wait for
   * each other. With filters, the ids that exist in the whole stretch are read first, as in
   * `scan`. Ids above the newest one seen do not exist yet: the stretch ends there.
   */
  async scanRanges(after: number, ranges: number): Promise<ScanResult> {
    const size = this.pageSize;
    const top = after + ranges * size;
    const filtered = this.query.conditions.length > 0;
    let ids: IdRow[] | undefined;
    if (filtered) {
      const read = await this.api.search(EVENT_LOG, {
        filters: [['id', 'between', [after + 1, top]]],
        fields: ['id', 'created_at'],
        sort: 'id',
        limit: ranges * size,
        pageSize: ranges * size,
      });
      ids = ascendingAfter(read.map(idRowOf), after).filter((r) => r.id <= top);
    }
    const pages = await Promise.all(
      Array.from({ length: ranges }, (_, i) =>
        this.api.search(EVENT_LOG, {
          filters: withIdCondition(
            ['id', 'between', [after + i * size + 1, after + (i + 1) * size]],
            this.query.conditions,
          ),
          fields: [...EVENT_FIELDS],
          sort: 'id',
          limit: size,
          pageSize: size,
        }),
      ),
    );
    const events = ascendingAfter(pages.flat().map(logEventOf), after).filter((e) => e.id <= top);
    const seen = ids ?? events;
    const newest = seen.length > 0 ? seen[seen.length - 1]!.id : after;
    const end = newest < top ? newest : top;
    return this.stretch(after, end, ids ?? [], events, end === top);
  }

  /** Chosen ids, read unfiltered and tested here: a row that exists but does not match is told apart from one still missing. */
  async lookup(ids: readonly number[]): Promise<LookupResult> {
    const result: LookupResult = { events: [], unmatched: [], missing: [] };
    const sorted = [...new Set(ids)].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i += LOOKUP_CHUNK) {
      const chunk = sorted.slice(i, i + LOOKUP_CHUNK);
      const rows = await this.api.search(EVENT_LOG, {
        filters: [['id', 'in', chunk]],
        fields: [...EVENT_FIELDS],
        sort: 'id',
        limit: chunk.length,
        pageSize: chunk.length,
      });
      const found = new Map<number, LogEvent>();
      for (const row of rows) {
        const event = logEventOf(row);
        if (event) found.set(event.id, event);
      }
      for (const id of chunk) {
        const event = found.get(id);
        if (!event) result.missing.push(id);
        else if (this.query.matches(event.delivery)) result.events.push(event);
        else result.unmatched.push(id);
      }
    }
    return result;
  }

  private page(
    conditions: readonly FilterCondition[],
    after: number,
    fields: string[],
    size: number,
  ): Promise<FlatRecord[]> {
    return this.api.search(EVENT_LOG, {
      filters: withIdCondition(['id', 'greater_than', after], conditions),
      fields,
      sort: 'id',
      limit: size,
      pageSize: size,
    });
  }
}

/** Rows above `after`, ascending, each id once: what `id greater_than` sorted by id should give, whatever a site sends. */
function ascendingAfter<T extends { id: number }>(rows: Array<T | undefined>, after: number): T[] {
  const byId = new Map<number, T>();
  for (const row of rows) if (row !== undefined && row.id > after && !byId.has(row.id)) byId.set(row.id, row);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** The runs of ids in (after, last existing] that are not in `existing` (ascending `[id, createdMs]`). */
function missingRuns(after: number, existing: ReadonlyArray<[number, number]>): MissingRun[] {
  const runs: MissingRun[] = [];
  let expected = after + 1;
  for (const [id, createdMs] of existing) {
    if (id > expected) runs.push({ from: expected, to: id - 1, nextCreatedMs: createdMs });
    expected = id + 1;
  }
  return runs;
}
