import type { FptrClient } from '../../lib/fptr/client/client';
import type { FptrSimulator } from '../../sim';
import { ClientSim } from './client-sim';
import { withoutClock } from './settled';

/**
 * Two simulators that start equal: one for calls sent one by one, one for the same calls sent
 * through a coalescer. Equal answers and equal final data mean coalescing changed nothing a flow
 * can see. (Record ids come from a counter, so the same successful creates get the same ids.)
 */
export class TwinSims {
  readonly one = new ClientSim();
  readonly together = new ClientSim();
  oneClient!: FptrClient;
  togetherClient!: FptrClient;

  async start(prepare: (sim: FptrSimulator) => void = () => undefined): Promise<void> {
    for (const env of [this.one, this.together]) prepare(await env.start());
    this.oneClient = this.one.client();
    this.togetherClient = this.together.client();
  }

  async stop(): Promise<void> {
    await Promise.all([this.one.stop(), this.together.stop()]);
  }

  /** Every record of these types in each simulator, active and retired, without timestamps. */
  data(types: string[]): [unknown, unknown] {
    const dump = (sim: FptrSimulator): unknown =>
      types.map((type) => ({
        type,
        active: withoutClock(sim.find(type)),
        retired: withoutClock(sim.find(type, () => true, { includeRetired: true }).filter((r) => !sim.get(type, r.id))),
      }));
    return [dump(this.one.sim), dump(this.together.sim)];
  }
}
