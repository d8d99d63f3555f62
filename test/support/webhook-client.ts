import http = require('node:http');

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Time from sending the request to the complete answer, in ms. */
  ms: number;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body with chunked encoding (no Content-Length). */
  chunked?: boolean;
}

/** Reads a whole answer; `started` is when its request was sent (performance.now()). */
function readAnswer(res: http.IncomingMessage, started: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () =>
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        ms: performance.now() - started,
      }),
    );
    res.on('error', reject);
  });
}

/**
 * One HTTP request over loopback with the body sent byte for byte. The answer is read even when
 * the server answers before the body is fully sent (413) and then closes the connection.
 */
export function send(url: string, options: RawRequest = {}): Promise<RawResponse> {
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers: Record<string, string | number> = { ...options.headers };
  if (body && !options.chunked) headers['content-length'] = body.length;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: options.method ?? 'POST', headers, agent: false }, (res) => {
      answered = true;
      readAnswer(res, started).then(resolve, reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (body && options.chunked) {
      // Several writes so the server sees more than one chunk.
      const step = Math.max(1, Math.ceil(body.length / 4));
      for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** A POST whose body the test sends when it chooses, after the server has taken the request in. */
export interface Upload {
  /** Resolves once the server answered `100 Continue`: it has routed the request and waits for the body. */
  accepted: Promise<void>;
  /** The answer, whenever it comes (before or after the body). */
  response: Promise<RawResponse>;
  /** Resolves when the connection is closed, by either side. */
  closed: Promise<void>;
  write(chunk: Buffer | string): void;
  end(chunk?: Buffer | string): void;
}

/**
 * Starts a POST announcing `contentLength` bytes with `Expect: 100-continue` and sends no body
 * yet. Node's HTTP server answers 100 Continue right before it hands the request to the app, so
 * `accepted` marks the moment the webhook has started waiting for this body — no sleeping needed.
 */
export function openUpload(url: string, contentLength: number, headers: Record<string, string> = {}): Upload {
  const started = performance.now();
  const req = http.request(url, {
    method: 'POST',
    headers: { ...headers, expect: '100-continue', 'content-length': contentLength },
    agent: false,
  });
  const accepted = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const closed = new Promise<void>((resolve) => req.once('close', () => resolve()));
  const response = new Promise<RawResponse>((resolve, reject) => {
    req.once('response', (res) => readAnswer(res, started).then(resolve, reject));
    req.once('error', reject);
  });
  // The client may be cut off while it still has body to send; that is an outcome the test reads from `response`/`closed`.
  response.catch(() => undefined);
  req.flushHeaders();
  return {
    accepted,
    response,
    closed,
    write: (chunk) => void req.write(chunk),
    end: (chunk) => void req.end(chunk),
  };
}
