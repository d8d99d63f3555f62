import { fitJson, fitText, type FittedText } from './ack-text';
import { describeValue } from '../../util/describe-value';
import { InputError } from '../../util/errors';

/**
 * Builds the acknowledgement string `fptr-acknowledge` attaches to a delivery — free text, any JSON,
 * or the recommended status form — always within FPTR's 4096-byte limit.
 */

/** The node's status setting: `auto` decides by `msg.error`. */
export const ACK_STATUSES = ['auto', 'success', 'failure'] as const;
export type AckStatus = 'success' | 'failure';

export class AcknowledgementError extends InputError {}

/** The recommended shape: machine-readable, and short enough to read in FPTR's delivery log. */
export interface StatusAcknowledgement {
  status: AckStatus;
  detail: string;
  by: 'node-red';
}

function errorMessage(msgError: unknown): string | undefined {
  if (msgError === null || typeof msgError !== 'object') return undefined;
  const message = (msgError as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}

/**
 * `auto` (or nothing) means failure when the message carries `msg.error` — it came through a
 * Catch node — and success otherwise. An empty detail on failure takes `msg.error.message`.
 */
export function statusAcknowledgement(status: unknown, detail: unknown, msgError: unknown): StatusAcknowledgement {
  let resolved: AckStatus;
  if (status === undefined || status === null || status === '' || status === 'auto') {
    resolved = msgError === undefined || msgError === null ? 'success' : 'failure';
  } else if (status === 'success' || status === 'failure') {
    resolved = status;
  } else {
    throw new AcknowledgementError(`status must be success, failure or auto (got ${describeValue(status)})`);
  }
  let text =
    detail === undefined || detail === null ? '' : typeof detail === 'string' ? detail : asJson(detail, 'the detail');
  if (text === '' && resolved === 'failure') text = errorMessage(msgError) ?? '';
  return { status: resolved, detail: text, by: 'node-red' };
}

/** Serialises message data; what JSON cannot hold (circular, BigInt, nested too deeply) is refused by name. */
function asJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new AcknowledgementError(
      `${what} cannot be written as JSON (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`,
    );
  }
  if (text === undefined) throw new AcknowledgementError(`cannot send a ${typeof value} as ${what}`);
  return text;
}

/** Text is sent as is; anything else is sent as JSON (strings of a JSON document stay valid JSON). */
export function fitAcknowledgement(value: unknown): FittedText {
  if (typeof value === 'string') return fitText(value);
  if (value === undefined) throw new AcknowledgementError('the acknowledgement is empty');
  if (typeof value === 'object' || typeof value === 'number' || typeof value === 'boolean')
    return fitJson(asJson(value, 'the acknowledgement'));
  throw new AcknowledgementError(`cannot send a ${typeof value} as an acknowledgement`);
}
