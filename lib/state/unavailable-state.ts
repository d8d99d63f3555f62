import { EventEmitter } from 'node:events';
import {
  StateUnavailableError,
  type Health,
  type LeaseState,
  type FencedValue,
  type SharedState,
} from './shared-state';

/** Shared state whose settings are unusable: always degraded, every operation refused with the reason. */
export class UnavailableState extends EventEmitter implements SharedState {
  readonly kind = 'redis';
  readonly health: Health = 'degraded';

  constructor(private readonly reason: string) {
    super();
  }

  claim(): Promise<boolean[]> {
    return this.refuse();
  }

  unclaim(): Promise<void> {
    return this.refuse();
  }

  lease(): Promise<LeaseState> {
    return this.refuse();
  }

  release(): Promise<void> {
    return this.refuse();
  }

  get(): Promise<FencedValue | undefined> {
    return this.refuse();
  }

  set(): Promise<boolean> {
    return this.refuse();
  }

  async close(): Promise<void> {}

  private refuse(): Promise<never> {
    return Promise.reject(new StateUnavailableError(this.reason));
  }
}
