import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import type { Ctx, Requester } from "../../http/context.ts";
import { extractAccessToken } from "../../http/auth.ts";
import { missingToken } from "../../http/errors.ts";

/** `POST /logout` and `POST /logout/all`. With MAS, logging out is MAS's job. */
export function registerLogoutRoutes(router: Router, services: Services): void {
  if (services.masEnabled) return;
  const { devices } = services.accounts;

  // An expired (refreshable) token may still end its own session, so these resolve the token themselves.
  const requester = async (c: Ctx): Promise<Requester> => {
    const token = extractAccessToken(c);
    if (token === undefined) throw missingToken();
    const r = await services.accessTokens.resolve(token, { allowExpired: true });
    c.set("requester", r);
    return r;
  };

  router.client("POST", "/logout", { auth: "none", name: "logout" }, async (c) => {
    const r = await requester(c);
    // Logging out ends the device, with all of its tokens and keys (as Synapse does).
    if (r.deviceId !== null) await devices.delete(r.userId, [r.deviceId]);
    else await services.accessTokens.revoke(r.tokenId);
    return c.json({});
  });

  router.client("POST", "/logout/all", { auth: "none", name: "logout_all" }, async (c) => {
    const r = await requester(c);
    await devices.logoutEverywhere(r.userId);
    return c.json({});
  });
}
