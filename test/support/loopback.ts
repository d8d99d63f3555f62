import http = require('node:http');
import net = require('node:net');

/** One HTTP server on an ephemeral 127.0.0.1 port, closed with its keep-alive connections. */
export class LoopbackServer {
  private server: http.Server | undefined;

  /**
   * Starts serving `handler` (closing any earlier server) on `port` (any free one by default) and
   * resolves to its origin, e.g. http://127.0.0.1:PORT.
   */
  async listen(handler: http.RequestListener, port = 0): Promise<string> {
    await this.close();
    const server = http.createServer(handler);
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
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

/**
 * A TCP relay on a fixed 127.0.0.1 port in front of another loopback server: the "public URL" of
 * a Node-RED endpoint that a test can take down (connections refused) and bring back.
 */
export class TcpRelay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  /** Where connections go; until it is set they are refused. */
  target: { host: string; port: number } | undefined;

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (on the same port as before, after down()). */
  async up(): Promise<string> {
    if (this.server) return this.origin;
    const server = net.createServer((client) => {
      if (!this.target) return client.destroy();
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
    return this.origin;
  }

  /** Stops listening and cuts every open connection. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
