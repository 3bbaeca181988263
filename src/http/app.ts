import { Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import type { AppEnv, Ctx } from "./context.ts";
import { clientIp } from "./context.ts";
import { MatrixError, invalidParam } from "./errors.ts";
import { refusesNul } from "../storage/postgres-errors.ts";
import { Router, type Authenticator } from "./router.ts";
import { cors, CORS_HEADERS } from "./cors.ts";
import { runInLogContext, currentUsage, annotateLogContext, type ResourceUsage } from "../observability/log-context.ts";
import type { Clock } from "../observability/clock.ts";
import type { CpuMark, CpuShare, CpuTime } from "../observability/metrics/cpu-share.ts";

/** Synapse waits this long before answering 429, so clients cannot retry in a tight loop. */
export const RATE_LIMIT_RESPONSE_DELAY_MS = 500;

/** A request still being processed, as metrics see it at scrape time. */
export interface LiveRequest {
  readonly method: string;
  /** The route's name once routing has matched; undefined before. */
  readonly servlet: string | undefined;
  /** The request context's database usage so far. */
  readonly usage: ResourceUsage | undefined;
  /** CPU attributed to the request so far (see CpuShare for the approximation). */
  cpu(): CpuTime;
}

export interface RequestFinishedInfo {
  method: string;
  servlet: string;
  status: number;
  durationMs: number;
  bytes: number;
  dbTxnCount: number;
  dbTxnMs: number;
  dbSchedMs: number;
  cpu: CpuTime;
  /** Synapse's per-request logging-context tag; empty unless something sets one. */
  tag: string;
  request: LiveRequest;
}

export interface HttpObserver {
  requestStarted(method: string, request: LiveRequest): void;
  requestFinished(info: RequestFinishedInfo): void;
}

export interface HttpAppDeps {
  serverName: string;
  clock: Clock;
  authenticate: Authenticator;
  observers?: Set<HttpObserver>;
  /** Synapse's listener `request_id_header`: use this header as the request id when present. */
  requestIdHeader?: string;
  /** Attributes CPU time to requests (process-wide; absent means 0 in logs and metrics). */
  cpu?: CpuShare;
}

export interface HttpApp {
  app: Hono<AppEnv>;
  router: Router;
}

// Held here: logtape keeps its loggers behind weak references, and looking one up walks
// and allocates (~3 µs of every request for the access log).
const ACCESS_LOG = getLogger(["hearth", "access"]);
const ERROR_LOG = getLogger(["hearth", "http"]);

export function createHttpApp(deps: HttpAppDeps): HttpApp {
  const app = new Hono<AppEnv>();
  const router = new Router(app, deps.authenticate);
  let requestSeq = 0;

  app.use("*", async (c, next) => {
    const method = c.req.method;
    const requestId = `${method}-${(deps.requestIdHeader && c.req.header(deps.requestIdHeader)) || requestSeq++}`;
    c.set("requestId", requestId);
    c.json = jsonWithLength(c);
    await runInLogContext({ server_name: deps.serverName, request: requestId }, async () => {
      const started = performance.now();
      const mark = deps.cpu?.begin();
      const usage = currentUsage();
      const live: LiveRequest = {
        method,
        get servlet() {
          return c.get("servlet");
        },
        usage,
        cpu: () => (mark && deps.cpu ? deps.cpu.since(mark) : { user: 0, system: 0 }),
      };
      for (const o of deps.observers ?? []) o.requestStarted(method, live);
      let bytes = 0;
      try {
        await next();
        const counted = responseBytes(c.res);
        bytes = typeof counted === "number" ? counted : await counted;
      } finally {
        finishRequest(c, { started, live, mark, cpu: deps.cpu, bytes }, deps.observers);
      }
    });
  });
  app.use("*", cors);

  app.onError(async (caught, c) => {
    // PostgreSQL refusing a NUL is bad input the request paths did not screen out.
    const err = refusesNul(caught) ? invalidParam("Text must not contain NUL (U+0000) characters") : caught;
    if (err instanceof MatrixError) {
      if (err.errcode === "M_LIMIT_EXCEEDED") await deps.clock.sleep(RATE_LIMIT_RESPONSE_DELAY_MS);
      return c.json(err.toJSON(), err.status as never, err.headers);
    }
    ERROR_LOG.error("Unhandled error while processing {method} {path}: {error}", {
      method: c.req.method,
      path: redactPath(new URL(c.req.url).pathname),
      error: err,
    });
    return c.json({ errcode: "M_UNKNOWN", error: "Internal server error" }, 500);
  });

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    if (router.hasPathWithOtherMethod(path, c.req.method)) {
      return c.json({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }, 405);
    }
    return c.json({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }, 404);
  });

  return { app, router };
}

function finishRequest(
  c: Ctx,
  t: { started: number; live: LiveRequest; mark: CpuMark | undefined; cpu: CpuShare | undefined; bytes: number },
  observers: Set<HttpObserver> | undefined,
): void {
  const durationMs = performance.now() - t.started;
  const cpu = t.mark && t.cpu ? t.cpu.end(t.mark) : { user: 0, system: 0 };
  const status = c.res?.status ?? 500;
  const bytes = t.bytes;
  const usage = t.live.usage;
  const servlet = c.get("servlet") ?? "unrecognised";
  for (const o of observers ?? []) {
    o.requestFinished({
      method: c.req.method,
      servlet,
      status,
      durationMs,
      bytes,
      dbTxnCount: usage?.dbTxnCount ?? 0,
      dbTxnMs: usage?.dbTxnDurationMs ?? 0,
      dbSchedMs: usage?.dbSchedMs ?? 0,
      cpu,
      tag: "",
      request: t.live,
    });
  }
  const requester = c.get("requester");
  if (requester) annotateLogContext({ requester: requester.userId });
  // Synapse logs health checks and CORS preflights at DEBUG so they do not flood the access log.
  const level = c.req.path === "/health" || c.req.method === "OPTIONS" ? "debug" : "info";
  const logger = ACCESS_LOG;
  // The line's fields cost more than the rest of a small request's bookkeeping: only when it is written.
  if (!logger.isEnabledFor(level)) return;
  const url = new URL(c.req.url);
  logger[level](
    '{ip} - {site} - {{{requester}}} Processed request: {seconds}sec/{sendSeconds}sec ru=({utime}sec, {stime}sec) db=({dbSchedSeconds}sec/{dbSeconds}sec/{dbCount}) {bytes}B {status}{clientGone} "{method} {path} {protocol}" "{userAgent}" [{dbEvents} dbevts]',
    {
      ip: clientIp(c),
      site: url.port || (url.protocol === "https:" ? "443" : "80"),
      requester: requester ? (requester.puppetedBy ? `${requester.puppetedBy}|${requester.userId}` : requester.userId) : "None",
      seconds: (durationMs / 1000).toFixed(3),
      // Bun writes the body after the handler returns; the send time is not observable here.
      sendSeconds: "0.000",
      utime: cpu.user.toFixed(3),
      stime: cpu.system.toFixed(3),
      // Connection scheduling is not measured yet (SQLite queues inside the transaction call).
      dbSchedSeconds: ((usage?.dbSchedMs ?? 0) / 1000).toFixed(3),
      dbSeconds: ((usage?.dbTxnDurationMs ?? 0) / 1000).toFixed(3),
      dbCount: usage?.dbTxnCount ?? 0,
      bytes,
      status,
      // Synapse marks a response the client did not wait for with "!".
      clientGone: c.req.raw.signal.aborted ? "!" : "",
      method: c.req.method,
      path: redactPath(url.pathname + url.search),
      protocol: "HTTP/1.1",
      userAgent: c.req.header("user-agent") ?? "-",
      dbEvents: 0,
    },
  );
}

/**
 * Hono's c.json, plus the Content-Length Bun would send anyway (knowing it here spares
 * responseBytes a copy of every JSON body) and the CORS headers. With a status (or none)
 * the Response is built from one plain header object: Hono's c.body would build a Headers
 * and the CORS middleware set four more, each a call into native code (~10 µs a request).
 * Nothing here sets headers through c.header, so there are none to merge.
 */
function jsonWithLength(c: Ctx): Ctx["json"] {
  return ((object: unknown, arg?: unknown, headers?: Record<string, string>) => {
    const text = JSON.stringify(object);
    const all: Record<string, string> = { "Content-Type": "application/json", ...headers };
    if (text !== undefined) all["Content-Length"] = String(Buffer.byteLength(text));
    if (typeof arg === "object" && arg !== null) return c.body(text as string, arg as never, all);
    return new Response(text ?? null, { status: (arg as number | undefined) ?? 200, headers: { ...CORS_HEADERS, ...all } });
  }) as unknown as Ctx["json"];
}

/**
 * Bytes of the response body. JSON responses declare their length (jsonWithLength);
 * other responses built from a string (c.text) are measured on a copy; other bodies
 * (streams, files) count only when they declare their length. Synchronous unless the
 * body must be read (an await less on every JSON answer).
 */
function responseBytes(res: Response | undefined): number | Promise<number> {
  if (!res?.body) return 0;
  const declared = res.headers.get("content-length");
  if (declared !== null) return Number(declared) || 0;
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json") && !type.startsWith("text/plain")) return 0;
  return res
    .clone()
    .arrayBuffer()
    .then((b) => b.byteLength);
}

/** Removes secrets from a logged path: access_token and similar query parameters. */
export function redactPath(pathAndQuery: string): string {
  return pathAndQuery.replace(/([?&](?:access_token|token|password|client_secret)=)[^&]*/gi, "$1<redacted>");
}
