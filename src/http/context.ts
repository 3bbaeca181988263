import type { Context } from "hono";

/** What an access token resolves to. */
export interface Requester {
  userId: string;
  deviceId: string | null;
  isGuest: boolean;
  /** The admin's user id when an admin acts as this user (admin login). */
  puppetedBy?: string;
  /** Server admin, as the auth backend says (MAS admin scope or the users table). */
  isAdmin: boolean;
  /** Opaque id of the token, for logout and transaction-id scoping. */
  tokenId: string;
}

export interface HttpBindings {
  /** The peer address of the connection, before x_forwarded is applied. */
  remoteAddress?: string;
  /** Whether X-Forwarded-For is trusted on this listener. */
  xForwarded?: boolean;
}

export type AppEnv = {
  Bindings: HttpBindings;
  Variables: {
    requestId: string;
    requester: Requester;
    /** The route's name for metrics (never the raw path). */
    servlet: string;
  };
};

export type Ctx = Context<AppEnv>;

export function clientIp(c: Ctx): string {
  if (c.env?.xForwarded) {
    const fwd = c.req.header("x-forwarded-for");
    if (fwd) return fwd.split(",")[0]!.trim();
  }
  return c.env?.remoteAddress ?? "unknown";
}
