import http = require('node:http');
import type { AddressInfo } from 'node:net';

/** One HTTP server on an ephemeral 127.0.0.1 port, closed with its keep-alive connections. */
export class LoopbackServer {
  private server: http.Server | undefined;

  /** Starts serving `handler` (closing any earlier server) and resolves to its origin, e.g. http://127.0.0.1:PORT. */
  async listen(handler: http.RequestListener): Promise<string> {
    await this.close();
    const server = http.createServer(handler);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
