import type { Node } from 'node-red';
import type { StoredCursor } from '../fptr/events/event-log-cursor';
import type { CursorStore } from '../fptr/events/event-log-poller';

/** Node context key of an fptr-events-in node's cursor. */
const CURSOR_KEY = 'fptrEventLogCursor';

/**
 * The cursor in the node's own context, in the context store the node names (undefined: the
 * default store). Asynchronous calls, so stores without a cache (`cache: false`) work, and a
 * save resolves once the store says it has the value.
 */
export class ContextCursorStore implements CursorStore {
  constructor(
    private readonly node: Pick<Node, 'context'>,
    private readonly store: string | undefined,
  ) {}

  load(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.node
        .context()
        .get(CURSOR_KEY, this.store, (err: Error | undefined, value: unknown) => (err ? reject(err) : resolve(value)));
    });
  }

  save(cursor: StoredCursor): Promise<void> {
    return new Promise((resolve, reject) => {
      this.node
        .context()
        .set(CURSOR_KEY, cursor, this.store, (err: Error | undefined) => (err ? reject(err) : resolve()));
    });
  }
}
