import type { Ctx, Requester } from "./context.ts";
import { missingToken } from "./errors.ts";
import type { Authenticator } from "./router.ts";
import { annotateLogContext } from "../observability/log-context.ts";

/**
 * The access token of a request, by Synapse's rules: exactly `Bearer <token>`
 * in one Authorization header, or else the first `access_token` query
 * parameter; both at once is an error. Returns undefined when there is none.
 */
export function extractAccessToken(c: Ctx): string | undefined {
  const headers = c.req.raw.headers;
  const auth = headers.get("authorization");
  const query = c.req.queries("access_token");
  if (auth !== null) {
    // Headers.get joins repeated headers with ", ".
    const m = /^Bearer ([^\s,]+)$/.exec(auth);
    if (!m) throw missingToken("Invalid Authorization header.");
    if (query && query.length > 0) throw missingToken("Mixing Authorization headers and access_token query parameters.");
    return m[1];
  }
  return query?.[0];
}

export function createAuthenticator(resolve: (token: string, c: Ctx) => Promise<Requester>): Authenticator {
  return async (c, mode) => {
    const token = extractAccessToken(c);
    if (token === undefined) {
      if (mode === "optional") return undefined;
      throw missingToken();
    }
    const requester = await resolve(token, c);
    annotateLogContext({ requester: requester.userId });
    return requester;
  };
}
