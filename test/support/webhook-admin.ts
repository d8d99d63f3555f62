import type { DeliveryRecord, FptrErrorObject } from '../../lib/fptr/client/api';
import { httpError } from '../../lib/fptr/client/fptr-error';
import {
  toWebhookRecord,
  type ListHooksOptions,
  type WebhookAdminApi,
  type WebhookBody,
  type WebhookRecord,
} from '../../lib/fptr/client/webhook-record';
import type { UnackedListOptions, UnackedSweepApi } from '../../lib/fptr/actions/unacked-sweep';
import type { SimHarness, SimResponse } from './sim';

/**
 * The webhook endpoints of a simulator over loopback HTTP, for the webhook-management logic
 * while the REST client does not offer them yet. Failures are FptrErrors like the client's.
 */
export class SimWebhookAdmin implements WebhookAdminApi, UnackedSweepApi {
  /** Every request, `METHOD path?query`. */
  readonly requests: string[] = [];

  constructor(private readonly harness: SimHarness) {}

  get siteUrl(): string {
    return this.harness.url;
  }

  async listHooks(options: ListHooksOptions = {}): Promise<WebhookRecord[]> {
    const out: WebhookRecord[] = [];
    const size = options.pageSize ?? 100;
    for (let page = 1; ; page++) {
      const query = new URLSearchParams({ 'page[size]': String(size), 'page[number]': String(page) });
      if (options.url) query.set('url', options.url);
      const rows = this.hooks(await this.call('GET', `/api/v1/webhook/hooks?${query}`));
      out.push(...rows);
      if (rows.length < size) return out;
    }
  }

  async readHook(hookId: string): Promise<WebhookRecord> {
    return this.hook(await this.call('GET', `/api/v1/webhook/hooks/${encodeURIComponent(hookId)}`));
  }

  async createHook(body: WebhookBody): Promise<WebhookRecord> {
    return this.hook(await this.call('POST', '/api/v1/webhook/hooks', body));
  }

  async updateHook(hookId: string, body: WebhookBody): Promise<WebhookRecord> {
    return this.hook(await this.call('PUT', `/api/v1/webhook/hooks/${encodeURIComponent(hookId)}`, body));
  }

  async testConnection(hookId: string): Promise<void> {
    await this.call('POST', `/api/v1/webhook/hooks/${encodeURIComponent(hookId)}/test_connection`);
  }

  async listDeliveries(hookId: string, options: UnackedListOptions = {}): Promise<DeliveryRecord[]> {
    const out: DeliveryRecord[] = [];
    for (let page = 1; ; page++) {
      const query = new URLSearchParams({ 'page[size]': '100', 'page[number]': String(page) });
      for (const key of ['status', 'from', 'to', 'acknowledgement'] as const) {
        if (options[key] !== undefined) query.set(key, String(options[key]));
      }
      const res = await this.call('GET', `/api/v1/webhook/hooks/${encodeURIComponent(hookId)}/deliveries?${query}`);
      const rows = (res.json as { data: DeliveryRecord[] }).data;
      out.push(...rows);
      if (rows.length < 100) return out;
    }
  }

  async redeliver(deliveryId: string): Promise<void> {
    await this.call('POST', `/api/v1/webhook/deliveries/${encodeURIComponent(deliveryId)}/redeliver`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<SimResponse> {
    this.requests.push(`${method} ${path}`);
    const res = await this.harness.call(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) {
      const errors = (res.json as { errors?: FptrErrorObject[] } | undefined)?.errors ?? [];
      throw httpError(res.status, errors, `${method} ${path.split('?')[0]}`);
    }
    return res;
  }

  private hook(res: SimResponse): WebhookRecord {
    const record = toWebhookRecord((res.json as { data?: unknown }).data);
    if (!record) throw new Error(`not a webhook: ${res.text}`);
    return record;
  }

  private hooks(res: SimResponse): WebhookRecord[] {
    return (res.json as { data: unknown[] }).data.map((row) => {
      const record = toWebhookRecord(row);
      if (!record) throw new Error(`not a webhook: ${JSON.stringify(row)}`);
      return record;
    });
  }
}
