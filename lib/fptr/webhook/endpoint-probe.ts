import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { signBody } from './signature';

/**
 * The self-check behind "the endpoint answers again": a signed Test_Connection delivery, shaped
 * like FPTR's own (fptr-api.md §5.9, batched form), sent to the webhook's public URL. The answer
 * alone only shows that something answers at that URL; the caller also checks that the node
 * received this delivery's id, which proves the public URL leads to this node.
 */

export interface ProbeResult {
  /** The id the probe carried (`delivery_id` and `x-sg-delivery-id`). */
  deliveryId: string;
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** Why there was no answer. */
  error?: string;
}

export function testConnectionBody(hookId: string, deliveryId: string, now = new Date()): string {
  const delivery = {
    id: '0.0.0',
    event_log_entry_id: 0,
    event_type: 'Test_Connection',
    operation: 'test_connection',
    delivery_id: deliveryId,
    session_uuid: null,
    created_at: now.toISOString().replace('T', ' ').replace('Z', '000'),
    entity: { type: null, id: 0 },
    project: { type: 'Project', id: 0 },
    attribute_name: null,
    meta: { type: 'test_connection', entity_type: 'null', entity_id: 'null', hook_id: hookId },
  };
  return JSON.stringify({ timestamp: now.toISOString(), data: { deliveries: [delivery] } });
}

export async function probeEndpoint(
  url: string,
  options: { hookId: string; secret?: string; timeoutMs: number; deliveryId?: string },
): Promise<ProbeResult> {
  const deliveryId = options.deliveryId ?? randomUUID();
  const body = testConnectionBody(options.hookId, deliveryId);
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'node-red-fptr endpoint check',
    'x-sg-webhook-id': options.hookId,
    'x-sg-delivery-id': deliveryId,
  };
  if (options.secret) headers['x-sg-signature'] = signBody(options.secret, body);
  try {
    const res = await request(url, {
      method: 'POST',
      headers,
      body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    await res.body.dump();
    return { deliveryId, status: res.statusCode };
  } catch (err) {
    return { deliveryId, error: err instanceof Error ? err.message : String(err) };
  }
}
