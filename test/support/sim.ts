import type http = require('node:http');
import { request } from 'undici';
import type { FptrErrorObject } from '../../lib/fptr/client/api';
import type { Delivery } from '../../lib/fptr/contract';
import { FptrSimulator, type SimOptions } from '../../sim';
import type { SimJsonApiRecord } from '../../sim/serialize';
import { LoopbackServer } from './loopback';

export interface SimResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed body (undefined when empty), typed by the caller. */
  json: T;
}

export type ErrorsBody = { errors: FptrErrorObject[] };
export type OneBody = {
  data: SimJsonApiRecord;
  links?: Record<string, string>;
  status?: string;
  meta?: Record<string, unknown>;
};
export type ListBody = { data: SimJsonApiRecord[]; links: Record<string, string> };

/** The single error of an errors[] envelope (fails when the body is not one). */
export function errorOf(res: SimResponse): FptrErrorObject {
  const body = res.json as ErrorsBody | undefined;
  if (!body || !Array.isArray(body.errors) || body.errors.length !== 1)
    throw new Error(`expected an errors[] envelope, got ${res.text}`);
  return body.errors[0];
}

export interface CallOptions {
  token?: string | null;
  /** JSON-encoded unless a string/Buffer. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export const ARRAY = 'application/vnd+shotgun.api3_array+json';
export const HASH = 'application/vnd+shotgun.api3_hash+json';

/** A simulator on a loopback port plus a bearer token for the demo script. */
export class SimHarness {
  sim!: FptrSimulator;
  url = '';
  private bearer: string | undefined;

  async start(opts: SimOptions = {}): Promise<FptrSimulator> {
    this.sim = new FptrSimulator(opts);
    this.url = await this.sim.listen();
    this.bearer = undefined;
    return this.sim;
  }

  async stop(): Promise<void> {
    await this.sim?.close();
  }

  /** Form-encoded client_credentials grant for the demo script (cached). */
  async token(): Promise<string> {
    if (!this.bearer) {
      const res = await this.call('POST', '/api/v1/auth/access_token', {
        token: null,
        contentType: 'application/x-www-form-urlencoded',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: FptrSimulator.DEMO.scriptName,
          client_secret: FptrSimulator.DEMO.scriptKey,
        }).toString(),
      });
      if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
      this.bearer = (res.json as { access_token: string }).access_token;
    }
    return this.bearer;
  }

  async call<T = unknown>(method: string, path: string, opts: CallOptions = {}): Promise<SimResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    const token = opts.token === undefined ? await this.token() : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | Buffer | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    } else if (opts.contentType) {
      headers['content-type'] = opts.contentType;
    }
    const res = await request(this.url + path, { method: method as 'GET', headers, body });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, json: (text ? JSON.parse(text) : undefined) as T };
  }

  search(type: string, body: unknown, contentType = ARRAY, query = ''): Promise<SimResponse<ListBody>> {
    return this.call<ListBody>('POST', `/api/v1/entity/${type}/_search${query}`, { body, contentType });
  }

  /** A bearer token for another script (client_credentials), not cached. */
  async tokenFor(scriptName: string, scriptKey: string, scope?: string): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: scriptName,
      client_secret: scriptKey,
    });
    if (scope) form.set('scope', scope);
    const res = await this.call('POST', '/api/v1/auth/access_token', {
      token: null,
      contentType: 'application/x-www-form-urlencoded',
      body: form.toString(),
    });
    if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
    return (res.json as { access_token: string }).access_token;
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request to any loopback URL (storage host, signed URLs), bytes in and out, no redirects followed. */
export async function rawRequest(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  const res = await request(url, { method: method as 'GET', headers: opts.headers, body: opts.body });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

export interface DeliveryBody {
  timestamp: string;
  data: Delivery | { deliveries: Delivery[] };
}

export interface ReceivedDelivery {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  body: DeliveryBody;
}

/** The delivery objects of a body, batched or not. */
export function deliveriesOf(d: ReceivedDelivery): Delivery[] {
  const data = d.body.data as { deliveries?: Delivery[] };
  return Array.isArray(data.deliveries) ? data.deliveries : [d.body.data as Delivery];
}

/** A webhook consumer on a loopback port that records every request it gets. */
export class Consumer {
  received: ReceivedDelivery[] = [];
  /** Status (and optional delay) to answer with; 200 by default. */
  answer: (d: ReceivedDelivery) => { status: number; body?: string; delayMs?: number } = () => ({
    status: 200,
    body: '{"ok":true}',
  });
  url = '';
  private readonly server = new LoopbackServer();

  async listen(): Promise<string> {
    const origin = await this.server.listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const d: ReceivedDelivery = {
          headers: req.headers,
          raw,
          body: JSON.parse(raw.toString('utf8')) as DeliveryBody,
        };
        this.received.push(d);
        const { status, body, delayMs } = this.answer(d);
        const reply = (): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body ?? '');
        };
        if (delayMs) setTimeout(reply, delayMs);
        else reply();
      });
    });
    this.url = `${origin}/hook`;
    return this.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
