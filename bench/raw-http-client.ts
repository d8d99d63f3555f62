import net = require('node:net');

export interface TimedAnswer {
  status: number;
  /** From handing the request's bytes to the socket until the answer's last byte arrived. */
  ms: number;
}

/**
 * One keep-alive HTTP/1.1 connection that sends prepared bytes and times the answer. A sender
 * such as FPTR has its request ready before it sends; an HTTP client library's own work per
 * request (about 1 ms for undici or node:http on two shared cores) would otherwise be counted as
 * the server's answer time. Answers must carry a Content-Length (both Node-RED's `http response`
 * and fptr-webhook-in send one); one request at a time.
 */
export class RawHttpClient {
  private received: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (answer: TimedAnswer) => void; reject: (err: Error) => void; sentAt: number } | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly host: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the connection closed before the answer was complete')));
  }

  static connect(url: string): Promise<RawHttpClient> {
    const { hostname, port, host } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), hostname);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawHttpClient(socket, host));
      });
    });
  }

  /** Builds the request's bytes; send them with `send`. */
  request(path: string, headers: Record<string, string>, body: Buffer): Buffer {
    const lines = [`POST ${path} HTTP/1.1`, `host: ${this.host}`];
    for (const [name, value] of Object.entries(headers))
      if (name.toLowerCase() !== 'content-length') lines.push(`${name}: ${value}`);
    lines.push(`content-length: ${body.length}`, '', '');
    return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
  }

  send(bytes: Buffer): Promise<TimedAnswer> {
    if (this.waiting) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject, sentAt: performance.now() };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const at = performance.now();
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const end = this.received.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.received.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) return this.fail(new Error(`an answer without Content-Length: ${head.split('\r\n')[0]}`));
    const total = end + 4 + Number(length[1]);
    if (this.received.length < total) return;
    this.received = this.received.subarray(total);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve({ status: Number(head.split(' ')[1]), ms: at - waiting.sentAt });
  }

  private fail(err: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(err);
    this.socket.destroy();
  }
}
