import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReceivedBody } from '../fptr/webhook/receiver';

type Handler = (...args: never[]) => unknown;

interface Layer {
  /** An express Router, mounted with `use`, has its own `stack`. */
  handle: Handler & { stack?: unknown };
  route?: { path: unknown; methods: Record<string, boolean | undefined>; stack: Array<{ handle: Handler }> };
  /** Matches a path as the router does, and leaves the part it matched in `path`. */
  match?: (path: string) => boolean;
  path?: string;
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

export interface CaptureRoute {
  maxBytes: number;
  /** How long the whole body may take to arrive once the request was routed here, in ms. */
  readTimeoutMs: number;
  /** Runs before any byte is read, e.g. a source-address check. */
  admit?: (req: IncomingMessage) => boolean;
  /**
   * Answers the request once the capture is done. Node-RED mounts the editor app in front of
   * the node routes, and leaving a router without a match costs a setImmediate hop: under load
   * the request would wait behind every message delivery already queued, so by default the
   * request is answered right here.
   */
  respond: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Pass the request on through the app's routers instead, to the route that calls `respond`,
   * because app-level middleware must see it (e.g. basic auth). A request whose body finished
   * after the route was removed is answered by `respond` here all the same: no router leads to
   * it any more.
   */
  viaRoutes?: boolean;
  /**
   * Told about an exception thrown by the capture or by `respond`: it reports it and answers
   * the request (500) if nothing was written yet. If it throws too, the connection is cut.
   */
  onError: (err: unknown, res: ServerResponse) => void;
}

const CAPTURED = Symbol('fptr.captured');

/** The capture result for a request, or `undefined` when its route was not registered. */
export function capturedBody(req: IncomingMessage): ReceivedBody | undefined {
  return (req as IncomingMessage & { [CAPTURED]?: ReceivedBody })[CAPTURED];
}

/** A path as express compares it: repeated and trailing slashes dropped, lower case. */
function comparable(path: string): string {
  return path
    .replace(/\/{2,}/g, '/')
    .replace(/\/$/, '')
    .toLowerCase();
}

/**
 * `METHOD:/path` as express would match it: repeated and trailing slashes collapsed, and lower
 * case because express routing is case-insensitive by default.
 */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()}:${comparable(path)}`;
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
 * Keeps the exact request bytes for registered routes (docs/node-red.md §2.3). Node-RED's editor app
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
    const key = routeKey(req.method ?? '', pathname);
    const route = this.routes.get(key);
    if (!route) return next();
    const guard = guardFor(route, req, res);
    const done = (result: ReceivedBody): void => {
      (req as CaptureRequest & { [CAPTURED]?: ReceivedBody })[CAPTURED] = result;
      req._body = true;
      if (result.status === 'ok') req.body = result.body;
      if (route.viaRoutes && this.routes.get(key) === route) next();
      else route.respond(req, res);
    };
    guard(() => readBody(req, route, guard, done))();
  }
}

type Guard = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => void;

/**
 * Wraps the callbacks of one captured request. They run outside express (stream events, a
 * timer), where an exception would be uncaught and end the process: it goes to the route's
 * `onError` instead, and if that throws too, the connection is cut.
 */
function guardFor(route: CaptureRoute, req: IncomingMessage, res: ServerResponse): Guard {
  return (fn) =>
    (...args) => {
      try {
        fn(...args);
      } catch (err) {
        try {
          route.onError(err, res);
        } catch {
          req.socket.destroy();
        }
      }
    };
}

/** Reads the body of `req` within the route's limits and hands the outcome to `done`. */
function readBody(req: IncomingMessage, route: CaptureRoute, guard: Guard, done: (result: ReceivedBody) => void): void {
  if (route.admit && !route.admit(req)) return done({ status: 'forbidden' });
  const max = route.maxBytes;
  if (Number(req.headers['content-length']) > max) return done({ status: 'too-large' });
  const chunks: Buffer[] = [];
  let size = 0;
  const stop = (result?: ReceivedBody): void => {
    clearTimeout(timer);
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.removeListener('error', onAbort);
    req.removeListener('close', onAbort);
    if (!result) return;
    if (result.status !== 'ok') req.pause();
    done(result);
  };
  const onData = guard((chunk: Buffer): void => {
    size += chunk.length;
    if (size > max) stop({ status: 'too-large' });
    else chunks.push(chunk);
  });
  const onEnd = guard((): void =>
    stop({ status: 'ok', body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) }),
  );
  // A client that aborts gets no answer: nothing is left to answer to.
  const onAbort = guard((): void => stop());
  // Node's own limit on a request is minutes; a sender that slow only holds a socket and a buffer.
  const timer = setTimeout(
    guard((): void => stop({ status: 'timeout' })),
    route.readTimeoutMs,
  );
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onAbort);
  req.on('close', onAbort);
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

/** True when a layer of `stack` (or of an express Router mounted in it) routes `method` on `path`. */
function routes(stack: Layer[], method: string, path: string): boolean {
  for (const layer of stack) {
    if (typeof layer.match !== 'function' || !layer.match(path)) continue;
    if (layer.route) {
      if (layer.route.methods[method] === true || layer.route.methods._all === true) return true;
      continue;
    }
    const consumed = layer.path ?? '';
    if (Array.isArray(layer.handle.stack)) {
      if (routes(layer.handle.stack as Layer[], method, path.slice(consumed.length) || '/')) return true;
    } else if (consumed !== '') {
      // Middleware or an app mounted below the root of this app: it may answer anything under it.
      return true;
    }
  }
  return false;
}

/**
 * POST paths of Node-RED's editor and admin API, relative to `httpAdminRoot`. They belong to
 * express apps mounted inside the admin app, and express 4 keeps no reference from a parent app
 * to a mounted one, so their routes cannot be read like the others (NR 4.1 and 5.0).
 */
const EDITOR_POST_PATHS = [
  /^\/flows(\/state)?$/,
  /^\/flow$/,
  /^\/nodes$/,
  /^\/library\//,
  /^\/settings\/user(\/keys(\/.*)?)?$/,
  /^\/projects(\/.*)?$/,
  /^\/auth\//,
];

/**
 * True when the editor/admin app would answer `POST fullPath` (a path of the root app), so a
 * capture for it would take the request away from the editor: e.g. a webhook at `/flows` with
 * `httpAdminRoot` and `httpNodeRoot` both `/` would answer every Deploy. `admin` is Node-RED's
 * `RED.httpAdmin` (where nodes add admin routes), mounted inside the editor's admin app; both
 * are read, with the routes of every Router in them. Apps on another root app never collide.
 */
export function adminServesPost(admin: ExpressApp, node: ExpressApp, fullPath: string): boolean {
  const root = rootOf(node);
  if (rootOf(admin) !== root) return false;
  const path = comparable(fullPath);
  for (let app: ExpressApp | undefined = admin; app && app !== root; app = app.parent) {
    const mount = comparable(app.path());
    if (mount !== '' && path !== mount && !path.startsWith(mount + '/')) continue;
    const relative = path.slice(mount.length) || '/';
    if (app.parent === root && EDITOR_POST_PATHS.some((pattern) => pattern.test(relative))) return true;
    const stack = routerOf(app)?.stack;
    if (stack && routes(stack, 'post', relative)) return true;
  }
  return false;
}
