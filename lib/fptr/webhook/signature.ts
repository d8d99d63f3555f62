import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/** Why a signature was refused; every reason is answered 401 (docs/fptr-api.md §5.4). */
export type SignatureFailure = 'missing' | 'unsupported' | 'mismatch';

const PREFIX = 'sha1=';
const HEX_LENGTH = 40;

/** `sha1=<lowercase hex HMAC-SHA1(secret, body)>`, the `x-sg-signature` FPTR sends. */
export function signBody(secret: string, body: Buffer | string): string {
  return PREFIX + createHmac('sha1', secret).update(body).digest('hex');
}

/**
 * Checks `x-sg-signature` against the exact request bytes. The secret is imported once as a
 * KeyObject so each request only hashes; the comparison is constant-time on the raw digests.
 */
export class SignatureVerifier {
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** `undefined` when the header proves the body was signed with this secret. */
  verify(header: string | string[] | undefined, body: Buffer): SignatureFailure | undefined {
    if (typeof header !== 'string' || header.length === 0) return 'missing';
    if (!header.startsWith(PREFIX)) return 'unsupported';
    if (header.length !== PREFIX.length + HEX_LENGTH) return 'mismatch';
    // Buffer.from stops at the first non-hex pair, so a short result means the header is not hex.
    const given = Buffer.from(header.slice(PREFIX.length), 'hex');
    if (given.length !== HEX_LENGTH / 2) return 'mismatch';
    const expected = createHmac('sha1', this.key).update(body).digest();
    return timingSafeEqual(given, expected) ? undefined : 'mismatch';
  }
}
