/** The message of anything thrown: an Error's message, else the thrown value as text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What was thrown, as an Error (done(err) and Catch nodes need one). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * A mistake in what a user configured or sent, in words that point at it. Each subclass is
 * named after itself (`err.name`), so a Catch node and a log line say which check refused it.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
