/** Registering a webhook failed in a way FPTR's own errors do not describe. */
export class RegistrationError extends Error {
  constructor(
    message: string,
    /** The hook the failed step touched, when one exists in FPTR. */
    readonly hookId?: string,
  ) {
    super(message);
    this.name = 'RegistrationError';
  }
}
