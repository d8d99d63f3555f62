import type { NodeStatus } from 'node-red';
import { MB } from '../fptr/files/transfer-settings';
import type { Messages } from './i18n';
import { ThrottledStatus } from './status';

/**
 * The badge of a node moving file bytes: how far (percent) and how fast (MB/s), redrawn at most
 * twice a second. With several transfers at once it follows the latest one.
 */
export class TransferStatus {
  readonly #status: ThrottledStatus;
  #done = 0;
  #total: number | undefined;
  #started = 0;

  constructor(
    node: { status(status: NodeStatus): void },
    private readonly t: Messages,
    /** Catalog key of the text, with `__percent__` and `__rate__`. */
    private readonly key: string,
  ) {
    this.#status = new ThrottledStatus(node, () => this.render());
  }

  /** A new transfer: its progress callback. */
  begin(): (done: number, total: number | undefined) => void {
    const started = performance.now();
    this.#started = started;
    this.#done = 0;
    this.#total = undefined;
    return (done, total) => {
      if (this.#started !== started) return;
      this.#done = done;
      this.#total = total;
      this.#status.schedule();
    };
  }

  /** No redraw after this: the transfer's outcome is shown instead. */
  end(): void {
    this.#status.close();
  }

  private render(): NodeStatus {
    const seconds = Math.max((performance.now() - this.#started) / 1000, 0.001);
    const rate = (this.#done / MB / seconds).toFixed(1);
    const percent = this.#total ? String(Math.floor((this.#done / this.#total) * 100)) : '?';
    return { fill: 'blue', shape: 'ring', text: this.t(this.key, { percent, rate }) };
  }
}
