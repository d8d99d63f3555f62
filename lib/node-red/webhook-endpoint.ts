import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeAPI } from 'node-red';
import type { WebhookReceiver } from '../fptr/webhook/receiver';
import {
  RawBodyCapture,
  adminServesPost,
  capturedBody,
  hasRoute,
  removeRoutes,
  type CaptureRoute,
  type ExpressApp,
} from './raw-body-capture';

type Middleware = (req: unknown, res: unknown, next: (err?: unknown) => void) => void;

/** The Node-RED settings that decide how a request reaches the endpoint. */
interface HttpSettings {
  httpNodeAuth?: unknown;
  httpNodeMiddleware?: Middleware | Middleware[];
}

export interface EndpointLimits {
  maxBytes: number;
  readTimeoutMs: number;
  /** Runs before any byte is read, e.g. a source-address check. */
  admit?: (req: IncomingMessage) => boolean;
}

/**
 * One webhook path on Node-RED's `RED.httpNode`: the raw-body capture for its POSTs (the
 * signature is over the exact bytes, docs/node-red.md §2.3), the express routes, and their
 * removal on close.
 */
export class WebhookEndpoint {
  private handlers: Set<(...args: never[]) => unknown> = new Set();

  private constructor(
    private readonly RED: NodeAPI,
    private readonly httpNode: ExpressApp & NodeAPI['httpNode'],
    private readonly capture: RawBodyCapture,
    readonly path: string,
    readonly fullPath: string,
  ) {}

  /**
   * Claims `path` (below httpNodeRoot) for a webhook, or says why it cannot: another node
   * routes it already, or the editor answers it (with httpNodeRoot and httpAdminRoot
   * overlapping, a capture there would take Deploy away from the editor).
   */
  static claim(RED: NodeAPI, path: string): WebhookEndpoint | 'path-in-use' | 'path-reserved' {
    const httpNode = RED.httpNode as unknown as ExpressApp & NodeAPI['httpNode'];
    const fullPath = httpNode.path() + path;
    const capture = RawBodyCapture.for(httpNode);
    if (capture.has('POST', fullPath) || hasRoute(httpNode, 'post', path)) return 'path-in-use';
    // Embedded runtimes may run without an admin app.
    const httpAdmin = RED.httpAdmin as unknown as ExpressApp | undefined;
    if (httpAdmin && adminServesPost(httpAdmin, httpNode, fullPath)) return 'path-reserved';
    return new WebhookEndpoint(RED, httpNode, capture, path, fullPath);
  }

  /**
   * Routes the path to `receiver`. A POST is answered straight from the raw-body capture unless
   * the settings put basic auth or middleware in front of node routes: then it goes the
   * normal way, through both.
   */
  open(receiver: WebhookReceiver, limits: EndpointLimits): void {
    const settings = this.RED.settings as typeof this.RED.settings & HttpSettings;
    const middleware = settings.httpNodeMiddleware ? ([] as Middleware[]).concat(settings.httpNodeMiddleware) : [];
    const post = (req: IncomingMessage, res: ServerResponse): void => receiver.handlePost(req, res, capturedBody(req));
    const other = (req: IncomingMessage, res: ServerResponse): void => receiver.handleOtherMethod(req, res);
    const route: CaptureRoute = {
      maxBytes: limits.maxBytes,
      readTimeoutMs: limits.readTimeoutMs,
      respond: post,
      viaRoutes: Boolean(settings.httpNodeAuth) || middleware.length > 0,
      onError: receiver.handleError,
    };
    if (limits.admit) route.admit = limits.admit;
    this.capture.add('POST', this.fullPath, route);
    this.httpNode.post(this.path, ...middleware, post);
    // Registered after POST, so it only sees the other methods.
    this.httpNode.all(this.path, other);
    this.handlers = new Set([post, other]);
  }

  close(): void {
    this.capture.delete('POST', this.fullPath);
    removeRoutes(this.httpNode, this.handlers);
  }
}
