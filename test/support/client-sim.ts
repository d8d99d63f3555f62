import { FptrClient, type FptrClientOptions } from '../../lib/fptr/client/client';
import { FptrError } from '../../lib/fptr/client/fptr-error';
import { FptrSimulator, type SimOptions } from '../../sim';

/**
 * A simulator on an ephemeral loopback port plus clients for it, torn down together.
 * Retry pauses are shortened so failure paths stay fast; tests that time waits set their own.
 */
export class ClientSim {
  sim!: FptrSimulator;
  private clients: FptrClient[] = [];

  async start(options: SimOptions = {}): Promise<FptrSimulator> {
    this.sim = new FptrSimulator(options);
    await this.sim.listen(0, '127.0.0.1');
    return this.sim;
  }

  client(options: Partial<FptrClientOptions> = {}): FptrClient {
    const client = demoClient(this.sim.url, options);
    this.clients.push(client);
    return client;
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close()));
    await this.sim?.close();
  }
}

/** A client for a simulator at `url`, logged in as the demo script, with short retry pauses. */
export function demoClient(url: string, options: Partial<FptrClientOptions> = {}): FptrClient {
  return new FptrClient({
    url,
    auth: {
      grant: 'client_credentials',
      scriptName: FptrSimulator.DEMO.scriptName,
      scriptKey: FptrSimulator.DEMO.scriptKey,
    },
    retryBaseMs: 5,
    retryMaxMs: 40,
    ...options,
  });
}

/** Awaits a rejection and returns it as an FptrError (fails the test otherwise). */
export async function fptrError(promise: Promise<unknown>): Promise<FptrError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof FptrError) return err;
    throw new Error(`expected an FptrError, got ${String(err)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}
