import type { Ctx, Requester } from "../../http/context.ts";
import { clientIp } from "../../http/context.ts";
import { MatrixError } from "../../http/errors.ts";
import type { RequestInfo } from "../../accounts/reauth.ts";

/** A path parameter the route pattern guarantees. */
export function pathParam(c: Ctx, name: string): string {
  return c.req.param(name) ?? "";
}

/** Where a UIA session was started: it may only be continued on the same path and method. */
export function requestInfo(c: Ctx): RequestInfo {
  return { uri: new URL(c.req.url).pathname, method: c.req.method, clientIp: clientIp(c) };
}

export function userAgent(c: Ctx): string | null {
  return c.req.header("user-agent")?.slice(0, 512) ?? null;
}

/** Most account endpoints are closed to guests (Synapse's default `allow_guest=False`). */
export function requireNonGuest(requester: Requester): void {
  if (requester.isGuest) throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access not allowed");
}
