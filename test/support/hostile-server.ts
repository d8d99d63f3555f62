import type http = require('node:http');
import { LoopbackServer } from './loopback';

/*
 * A loopback HTTP server that answers like a broken or malicious FPTR site, for the client's
 * hardening tests (the simulator plays a well-behaved site and is left alone). Every request is
 * recorded; the token request and the API requests each get an answer the test picks.
 */

export interface Received {
  method: string;
  /** Path and query. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Writes the answer to one request. */
export type Answer = (req: Received, res: http.ServerResponse) => void;

export const TOKEN_PATH = '/api/v1/auth/access_token';
/** The access token the server hands out by default (a secret the client must not repeat). */
export const HOSTILE_TOKEN = 'tK4vQ9.hostile-access-token.0x5f3759df';

export class HostileServer {
  readonly received: Received[] = [];
  /** Answers the client hung up on before they were all sent. */
  unfinished = 0;
  url = '';
  /** What the token request gets; a valid token by default. */
  token: Answer = answers.token(HOSTILE_TOKEN);
  /** What every other request gets. */
  api: Answer = answers.json(200, { data: {} });
  private readonly server = new LoopbackServer();

  async listen(): Promise<string> {
    this.url = await this.server.listen((req, res) => {
      res.on('close', () => {
        if (!res.writableFinished) this.unfinished++;
      });
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const received: Received = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.received.push(received);
        (received.url.startsWith(TOKEN_PATH) ? this.token : this.api)(received, res);
      });
    });
    return this.url;
  }

  /** Requests for `path` (prefix) received so far. */
  count(path: string): number {
    return this.received.filter((r) => r.url.startsWith(path)).length;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

/** An FPTR error envelope with one error. */
export function errorEnvelope(status: number, title: string, detail: string | null = null): { errors: unknown[] } {
  return { errors: [{ id: 'e1', status, code: 103, title, detail, source: {}, meta: null }] };
}

export const answers = {
  json(status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): Answer {
    return (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
  },

  token(accessToken: string): Answer {
    return answers.json(200, { token_type: 'Bearer', access_token: accessToken, expires_in: 600, refresh_token: 'r' });
  },

  /** Raw bytes as they are, with the given headers: for answers no well-behaved server sends. */
  raw(status: number, headers: http.OutgoingHttpHeaders, body: Buffer | string): Answer {
    return (_req, res) => {
      res.writeHead(status, headers).end(body);
    };
  },

  /**
   * An error whose title is `bytes` long, streamed (with a Content-Length when `declared`) and
   * written only as fast as the client reads. Stops when the client hangs up.
   */
  huge(status: number, bytes: number, options: { declared?: boolean; envelope?: boolean } = {}): Answer {
    const envelope = options.envelope ?? true;
    return (_req, res) => {
      const head = envelope
        ? Buffer.from(`{"errors":[{"status":${status},"code":103,"title":"`)
        : Buffer.from('{"data":[{"type":"Shot","id":1,"attributes":{"code":"');
      const tail = Buffer.from(envelope ? '"}]}' : '"}}]}');
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      if (options.declared) headers['content-length'] = head.length + bytes + tail.length;
      res.writeHead(status, headers);
      const chunk = Buffer.alloc(64 * 1024, 'A');
      let left = bytes;
      let stopped = false;
      res.on('close', () => {
        stopped = true;
      });
      const pump = (): void => {
        while (!stopped && left > 0) {
          const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= part.length;
          if (!res.write(part)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!stopped) res.end(tail);
      };
      res.write(head);
      pump();
    };
  },

  /**
   * An error that quotes the whole request back: body, headers (Authorization included) and
   * query, in the title and the detail, raw and JSON-encoded — what a careless proxy or a debug
   * endpoint does.
   */
  echo(status: number): Answer {
    return (req, res) => {
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
      const quoted = { body: req.body, headers: req.headers, query };
      const title = `rejected: ${req.body} ${String(req.headers.authorization ?? '')} ${query}`;
      const body = {
        errors: [
          {
            id: req.body,
            status,
            code: 103,
            title,
            detail: JSON.stringify(quoted),
            source: { request: quoted, [req.body]: req.body },
            meta: { raw: JSON.stringify(JSON.stringify(quoted)) },
          },
        ],
      };
      res
        .writeHead(status, { 'content-type': 'application/json', 'x-echo': encodeURIComponent(req.body) })
        .end(JSON.stringify(body));
    };
  },

  /** Headers at once, then one byte of a valid answer every `intervalMs`. */
  drip(intervalMs: number, status = 200): Answer {
    return (_req, res) => {
      const text = Buffer.from(
        JSON.stringify({ data: { type: 'Shot', id: 1, attributes: { code: 'x'.repeat(200) } } }),
      );
      res.writeHead(status, { 'content-type': 'application/json' });
      let at = 0;
      const timer = setInterval(() => {
        if (at < text.length) res.write(text.subarray(at, ++at));
        else {
          clearInterval(timer);
          res.end();
        }
      }, intervalMs);
      res.on('close', () => clearInterval(timer));
    };
  },

  /** Promises a long body, sends part of it, then resets the connection. */
  resetMidBody(status = 200): Answer {
    return (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': 10_000 });
      res.write('{"data":{"type":"Shot","id":1,"attri', () => {
        res.socket?.resetAndDestroy();
      });
    };
  },

  retryAfter(value: string, status = 503): Answer {
    return answers.json(status, errorEnvelope(status, 'Busy'), { 'retry-after': value });
  },

  redirect(status: number, location: string): Answer {
    return (_req, res) => {
      res.writeHead(status, { location, 'content-type': 'text/html' }).end(`<a href="${location}">moved</a>`);
    };
  },
};
