import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { clientIp } from "../../http/context.ts";
import { parseBody, readJsonObject } from "../../http/body.ts";
import { MatrixError, invalidParam, missingParam } from "../../http/errors.ts";
import { readLoginParams } from "../../accounts/registration-flow.ts";
import { userAgent } from "./account-common.ts";

const LOGIN_PASSWORD = "m.login.password";

const refreshBody = v.object({ refresh_token: v.string() });

/** `GET|POST /login` (password logins) and `POST /refresh`. With MAS they belong to MAS. */
export function registerLoginRoutes(router: Router, services: Services): void {
  if (services.masEnabled) return;
  const { login, sessions } = services.accounts;

  router.client("GET", "/login", { auth: "none", name: "login_flows" }, (c) =>
    c.json({ flows: login.passwordLoginEnabled ? [{ type: LOGIN_PASSWORD }] : [] }),
  );

  router.client("POST", "/login", { auth: "none", name: "login" }, async (c) => {
    const body = await readJsonObject(c);
    if (body.type === undefined) throw missingParam("type");
    if (typeof body.type !== "string") throw invalidParam("Bad parameter: type");
    const refreshable = body.refresh_token ?? false;
    if (typeof refreshable !== "boolean") throw invalidParam("Invalid parameter refresh_token: expected true or false");
    const ip = clientIp(c);
    login.ratelimitAddress(ip);
    if (body.type !== LOGIN_PASSWORD) throw new MatrixError(400, "M_UNKNOWN", `Unknown login type ${body.type.slice(0, 100)}`);
    const params = readLoginParams(body);
    const { userId, session } = await login.loginWithPassword(body, {
      deviceId: params.deviceId,
      initialDisplayName: params.initialDisplayName,
      // With refresh tokens disabled (`refreshable_access_token_lifetime: null`) the client gets a plain token.
      refreshable: refreshable && sessions.refreshTokensEnabled,
      ip,
      userAgent: userAgent(c),
    });
    const out: Record<string, unknown> = {
      user_id: userId,
      access_token: session.accessToken,
      home_server: services.serverName,
      device_id: session.deviceId,
    };
    if (session.refreshToken) out.refresh_token = session.refreshToken;
    if (session.expiresInMs !== undefined) out.expires_in_ms = session.expiresInMs;
    return c.json(out);
  });

  router.client("POST", "/refresh", { auth: "none", name: "refresh" }, async (c) => {
    const body = await parseBody(c, refreshBody);
    const r = await sessions.refresh(body.refresh_token);
    const out: Record<string, unknown> = { access_token: r.accessToken, refresh_token: r.refreshToken };
    if (r.expiresInMs !== undefined) out.expires_in_ms = r.expiresInMs;
    return c.json(out);
  });
}
