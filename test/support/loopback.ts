import http = require('node:http');
import net = require('node:net');

/** One HTTP server on an ephemeral 127.0.0.1 port, closed with its keep-alive connections. */
export class LoopbackServer {
  private server: http.Server | undefined;

  /** Starts serving `handler` (closing any earlier server) and resolves to its origin, e.g. http://127.0.0.1:PORT. */
  async listen(handler: http.RequestListener): Promise<string> {
    await this.close();
    const server = http.createServer(handler);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A port that was free on 127.0.0.1 a moment ago, for a child process to listen on. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
