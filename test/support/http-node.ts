import http = require('node:http');
import type { AddressInfo } from 'node:net';
import type { NodeAPI } from 'node-red';

type NodeModule = (RED: NodeAPI) => void;

/**
 * The test helper gives each load() an unmounted `RED.httpNode` express app. This wraps a node
 * module so the test can serve that app on a loopback port and send real HTTP to it.
 */
export class HttpNodeServer {
  private app: http.RequestListener | undefined;
  private server: http.Server | undefined;
  url = '';

  wrap(mod: NodeModule): NodeModule {
    return (RED: NodeAPI) => {
      this.app = RED.httpNode as unknown as http.RequestListener;
      mod(RED);
    };
  }

  async listen(): Promise<string> {
    await this.close();
    const app = this.app;
    if (!app) throw new Error('wrap() a module and load() it before listen()');
    const server = http.createServer((req, res) => app(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
