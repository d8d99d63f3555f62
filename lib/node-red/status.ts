import type { NodeStatus } from 'node-red';
import { Throttle } from '../util/throttle';

/** A status badge, in the shape `node.status()` takes. */
export interface Badge extends NodeStatus {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'ring' | 'dot';
  text: string;
}

/** The red ring of a node that cannot work as configured. */
export function ring(text: string): Badge {
  return { fill: 'red', shape: 'ring', text };
}

export function dot(fill: Badge['fill'], text: string): Badge {
  return { fill, shape: 'dot', text };
}

/**
 * A node's status redrawn from `render` at most once per interval: counts change with every
 * message, and a badge per message would flood the editor's connection.
 */
export class ThrottledStatus {
  private readonly throttle: Throttle;

  constructor(
    private readonly node: { status(status: NodeStatus): void },
    private readonly render: () => NodeStatus,
    intervalMs = 500,
  ) {
    this.throttle = new Throttle(() => this.show(), intervalMs);
  }

  /** Redraw soon (at once when it has not been redrawn lately). */
  schedule(): void {
    this.throttle.schedule();
  }

  /** Redraw now. */
  show(): void {
    this.node.status(this.render());
  }

  /** No redraw after this (the node is closing). */
  close(): void {
    this.throttle.cancel();
  }
}
