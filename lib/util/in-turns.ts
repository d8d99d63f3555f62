/** Tasks run per event-loop turn by `inTurns`. */
export const TASKS_PER_TURN = 10;

/**
 * Runs `tasks` in order, `perTurn` now and the rest `perTurn` per later event-loop turn. Each
 * task may set a lot of work going that runs before any I/O: settling a caller's promise runs
 * its continuation in the same microtask checkpoint, and in Node-RED the node then finishes,
 * sends, and the deliveries of everything sent run together in the next check phase. Settling
 * the hundreds of callers of one combined request at once would make everything else — a
 * webhook's next request among it — wait for all of their flows; between turns, I/O gets its go.
 * A task must not throw (it is a resolve or reject).
 */
export function inTurns(tasks: Array<() => void>, perTurn = TASKS_PER_TURN): void {
  if (!Number.isInteger(perTurn) || perTurn < 1)
    throw new RangeError(`perTurn must be a whole number ≥ 1, got ${perTurn}`);
  let next = 0;
  const turn = (): void => {
    const end = Math.min(tasks.length, next + perTurn);
    while (next < end) tasks[next++]();
    if (next < tasks.length) setImmediate(turn);
  };
  turn();
}
