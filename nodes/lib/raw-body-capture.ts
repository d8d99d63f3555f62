import type { IncomingMessage, ServerResponse } from 'node:http';

type Handler = (...args: never[]) => unknown;

interface Layer {
  handle: Handler;
  route?: { path: unknown; methods: Record<string, boolean | undefined>; stack: Array<{ handle: Handler }> };
}

interface Router {
  stack: Layer[];
}

/** The parts of an express 4/5 application this module touches (Node-RED's `RED.httpNode`). */
export interface ExpressApp {
  parent?: ExpressApp;
  /** express 4: creates `_router` on demand (express 4 throws when `router` is read) */
  lazyrouter?: () => void;
  _router?: Router;
  /** express 5 */
  router?: Router;
  use(fn: Handler): unknown;
  path(): string;
}

type CaptureRequest = IncomingMessage & { _parsedUrl?: { pathname?: string | null }; _body?: boolean; body?: unknown };

/** What the capture did with a request that matched a registered route. */
export type Captured =
  | { status: 'ok'; body: Buffer }
  /** `admit` refused the request; no byte of the body was read. */
  | { status: 'forbidden' }
  /** The body is (or would be) larger than `maxBytes`; reading stopped at the limit. */
  | { status: 'too-large' };

export interface CaptureRoute {
  maxBytes: number;
  /** Runs before any byte is read, e.g. a source-address check. */
  admit?: (req: IncomingMessage) => boolean;
  /**
   * Answers the request right here instead of passing it on through the app's routers. Node-RED
   * mounts the editor app in front of the node routes, and leaving a router without a match
   * costs a setImmediate hop: under load the request would wait behind every message delivery
   * already queued. Leave unset when app-level middleware must see the request (e.g. basic auth).
   */
  respond?: (req: IncomingMessage, res: ServerResponse) => void;
}

const CAPTURED = Symbol('fptr.captured');

/** The capture result for a request, or `undefined` when its route was not registered. */
export function capturedBody(req: IncomingMessage): Captured | undefined {
  return (req as IncomingMessage & { [CAPTURED]?: Captured })[CAPTURED];
}

/**
 * `METHOD:/path` as express would match it: repeated and trailing slashes collapsed, and lower
 * case because express routing is case-insensitive by default.
 */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()}:${path.replace(/\/{2,}/g, '/').replace(/\/$/, '').toLowerCase()}`;
}

function routerOf(app: ExpressApp): Router | undefined {
  if (typeof app.lazyrouter !== 'function') return app.router;
  app.lazyrouter();
  return app._router;
}

function rootOf(app: ExpressApp): ExpressApp {
  let root = app;
  while (root.parent) root = root.parent;
  return root;
}

const captures = new WeakMap<ExpressApp, RawBodyCapture>();

/**
 * Keeps the exact request bytes for registered routes (node-red.md §2.3). Node-RED's editor app
 * is mounted before `RED.httpNode` with a global JSON parser that would consume the stream, so
 * one middleware sits at index 0 of the ROOT app's router and buffers the body, within a size
 * limit, only for registered `METHOD:/path` keys. It marks the request as parsed (`_body`) so
 * no later body parser touches it, then answers it itself or hands on to the normal route.
 */
export class RawBodyCapture {
  private readonly routes = new Map<string, CaptureRoute>();

  /** The capture of the root app above `app`, installed on first use. */
  static for(app: ExpressApp): RawBodyCapture {
    const root = rootOf(app);
    let capture = captures.get(root);
    if (!capture) {
      capture = new RawBodyCapture();
      capture.install(root);
      captures.set(root, capture);
    }
    return capture;
  }

  private constructor() {}

  has(method: string, path: string): boolean {
    return this.routes.has(routeKey(method, path));
  }

  /** `path` is the full path as seen by the root app (`RED.httpNode.path()` + the node's url). */
  add(method: string, path: string, route: CaptureRoute): void {
    this.routes.set(routeKey(method, path), route);
  }

  delete(method: string, path: string): void {
    this.routes.delete(routeKey(method, path));
  }

  private install(root: ExpressApp): void {
    const middleware = (req: CaptureRequest, res: ServerResponse, next: (err?: unknown) => void): void =>
      this.capture(req, res, next);
    root.use(middleware);
    const stack = routerOf(root)?.stack;
    if (!stack) return;
    const index = stack.findIndex((layer) => layer.handle === middleware);
    if (index > 0) stack.unshift(...stack.splice(index, 1));
  }

  private capture(req: CaptureRequest, res: ServerResponse, next: (err?: unknown) => void): void {
    if (this.routes.size === 0) return next();
    const pathname = req._parsedUrl?.pathname ?? (req.url ?? '').split('?', 1)[0];
    const route = this.routes.get(routeKey(req.method ?? '', pathname));
    if (!route) return next();
    const done = (result: Captured): void => {
      (req as CaptureRequest & { [CAPTURED]?: Captured })[CAPTURED] = result;
      req._body = true;
      if (result.status === 'ok') req.body = result.body;
      if (route.respond) route.respond(req, res);
      else next();
    };
    if (route.admit && !route.admit(req)) return done({ status: 'forbidden' });
    const max = route.maxBytes;
    if (Number(req.headers['content-length']) > max) return done({ status: 'too-large' });
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', cleanup);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        req.pause();
        done({ status: 'too-large' });
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => {
      cleanup();
      done({ status: 'ok', body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) });
    };
    // A client that aborts gets no answer: nothing is left to answer to.
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', cleanup);
  }
}

function hasHandler(layer: Layer, handlers: ReadonlySet<Handler>): boolean {
  return layer.route?.stack.some((entry) => handlers.has(entry.handle)) ?? false;
}

/** Removes the routes that use any of `handlers`, iterating backwards so splicing skips nothing. */
export function removeRoutes(app: ExpressApp, handlers: ReadonlySet<Handler>): void {
  const stack = routerOf(app)?.stack;
  if (!stack) return;
  for (let i = stack.length - 1; i >= 0; i--) {
    if (hasHandler(stack[i], handlers)) stack.splice(i, 1);
  }
}

/** True when `app` already routes `method` on `path` (e.g. a core `http in` node). */
export function hasRoute(app: ExpressApp, method: string, path: string): boolean {
  const stack = routerOf(app)?.stack;
  if (!stack) return false;
  const key = routeKey(method, path);
  const lower = method.toLowerCase();
  return stack.some(
    (layer) =>
      layer.route !== undefined &&
      typeof layer.route.path === 'string' &&
      (layer.route.methods[lower] === true || layer.route.methods._all === true) &&
      routeKey(method, layer.route.path) === key,
  );
}
