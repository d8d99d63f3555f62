import type http = require('node:http');
import type { NodeAPI } from 'node-red';
import { LoopbackServer } from './loopback';

type NodeModule = (RED: NodeAPI) => void;

/**
 * The test helper gives each load() an unmounted `RED.httpNode` express app. This wraps a node
 * module so the test can serve that app on a loopback port and send real HTTP to it.
 */
export class HttpNodeServer {
  private app: http.RequestListener | undefined;
  private readonly server = new LoopbackServer();
  url = '';

  wrap(mod: NodeModule): NodeModule {
    return (RED: NodeAPI) => {
      this.app = RED.httpNode as unknown as http.RequestListener;
      mod(RED);
    };
  }

  /** On `port` when given: a URL FPTR was told before the flow was deployed. */
  async listen(port?: number): Promise<string> {
    const app = this.app;
    if (!app) throw new Error('wrap() a module and load() it before listen()');
    this.url = await this.server.listen((req, res) => app(req, res), port);
    return this.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
