import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";

/** The headers the Client-Server spec asks for, so browser clients (Element Web) can call us. */
export const CORS_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization, Date",
  "Access-Control-Expose-Headers": "Retry-After",
};

export const cors: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method === "OPTIONS") {
    return new Response(null, { status: 204, headers: CORS_HEADERS });
  }
  await next();
  // JSON responses carry them already (jsonWithLength).
  if (c.res.headers.has("Access-Control-Allow-Origin")) return;
  for (const [k, v] of Object.entries(CORS_HEADERS)) c.res.headers.set(k, v);
};
