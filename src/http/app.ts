import { Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import type { AppEnv, Ctx } from "./context.ts";
import { clientIp } from "./context.ts";
import { MatrixError } from "./errors.ts";
import { Router, type Authenticator } from "./router.ts";
import { cors, CORS_HEADERS } from "./cors.ts";
import { runInLogContext, currentUsage, annotateLogContext } from "../observability/log-context.ts";
import type { Clock } from "../observability/clock.ts";

/** Synapse waits this long before answering 429, so clients cannot retry in a tight loop. */
export const RATE_LIMIT_RESPONSE_DELAY_MS = 500;

export interface HttpObserver {
  requestStarted(method: string): void;
  requestFinished(info: { method: string; servlet: string; status: number; durationMs: number; bytes: number; dbTxnCount: number; dbTxnMs: number }): void;
}

export interface HttpAppDeps {
  serverName: string;
  clock: Clock;
  authenticate: Authenticator;
  observers?: Set<HttpObserver>;
  /** Synapse's listener `request_id_header`: use this header as the request id when present. */
  requestIdHeader?: string;
}

export interface HttpApp {
  app: Hono<AppEnv>;
  router: Router;
}

const accessLog = () => getLogger(["hearth", "access"]);
const errorLog = () => getLogger(["hearth", "http"]);

export function createHttpApp(deps: HttpAppDeps): HttpApp {
  const app = new Hono<AppEnv>();
  const router = new Router(app, deps.authenticate);
  let requestSeq = 0;

  app.use("*", async (c, next) => {
    const method = c.req.method;
    const requestId = `${method}-${(deps.requestIdHeader && c.req.header(deps.requestIdHeader)) || requestSeq++}`;
    c.set("requestId", requestId);
    await runInLogContext({ server_name: deps.serverName, request: requestId }, async () => {
      const started = performance.now();
      for (const o of deps.observers ?? []) o.requestStarted(method);
      try {
        await next();
      } finally {
        finishRequest(c, started, deps.observers);
      }
    });
  });
  app.use("*", cors);

  app.onError(async (err, c) => {
    if (err instanceof MatrixError) {
      if (err.errcode === "M_LIMIT_EXCEEDED") await deps.clock.sleep(RATE_LIMIT_RESPONSE_DELAY_MS);
      return c.json(err.toJSON(), err.status as never, err.headers);
    }
    errorLog().error("Unhandled error while processing {method} {path}: {error}", {
      method: c.req.method,
      path: redactPath(new URL(c.req.url).pathname),
      error: err,
    });
    return c.json({ errcode: "M_UNKNOWN", error: "Internal server error" }, 500);
  });

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    if (router.hasPathWithOtherMethod(path, c.req.method)) {
      return c.json({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }, 405, CORS_HEADERS);
    }
    return c.json({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" }, 404, CORS_HEADERS);
  });

  return { app, router };
}

function finishRequest(c: Ctx, started: number, observers: Set<HttpObserver> | undefined): void {
  const durationMs = performance.now() - started;
  const status = c.res?.status ?? 500;
  const bytes = Number(c.res?.headers.get("content-length") ?? 0);
  const usage = currentUsage();
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
    });
  }
  const requester = c.get("requester");
  if (requester) annotateLogContext({ requester: requester.userId });
  const url = new URL(c.req.url);
  accessLog().info(
    '{ip} - {requester} - Processed request: {seconds}sec (db {dbSeconds}sec/{dbCount}) {bytes}B {status} "{method} {path}" "{userAgent}"',
    {
      ip: clientIp(c),
      requester: requester?.userId ?? "-",
      seconds: (durationMs / 1000).toFixed(3),
      dbSeconds: ((usage?.dbTxnDurationMs ?? 0) / 1000).toFixed(3),
      dbCount: usage?.dbTxnCount ?? 0,
      bytes,
      status,
      method: c.req.method,
      path: redactPath(url.pathname + url.search),
      userAgent: c.req.header("user-agent") ?? "-",
    },
  );
}

/** Removes secrets from a logged path: access_token and similar query parameters. */
export function redactPath(pathAndQuery: string): string {
  return pathAndQuery.replace(/([?&](?:access_token|token|password|client_secret)=)[^&]*/gi, "$1<redacted>");
}
