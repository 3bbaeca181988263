import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { clientIp } from "../../http/context.ts";
import { extractAccessToken } from "../../http/auth.ts";
import { readJsonObject } from "../../http/body.ts";
import { MatrixError, forbidden, invalidParam, unknownToken } from "../../http/errors.ts";
import { requestInfo, userAgent } from "./account-common.ts";

/** `POST /register`, `GET /register/available` and the registration-token validity check. */
export function registerRegistrationRoutes(router: Router, services: Services): void {
  if (services.masEnabled) {
    router.client("POST", "/register", { auth: "none", name: "register_appservice_only" }, async (c) => {
      const body = await readJsonObject(c);
      services.ratelimiters.registration.ratelimit({ key: clientIp(c), update: false });
      await appserviceOnlyRegistration(body, c.req.query("kind") ?? "user", extractAccessToken(c) !== undefined);
      return c.json({});
    });
    return;
  }
  const registration = services.accounts.clientRegistration;

  router.client("POST", "/register", { auth: "none", name: "register" }, async (c) => {
    const body = await readJsonObject(c);
    const info = requestInfo(c);
    const result = await registration.register(body, {
      kind: c.req.query("kind") ?? "user",
      ip: info.clientIp,
      userAgent: userAgent(c),
      hasAccessToken: extractAccessToken(c) !== undefined,
      uri: info.uri,
      method: info.method,
    });
    return c.json(result);
  });

  router.client("GET", "/register/available", { auth: "none", name: "register_available" }, async (c) => {
    await registration.checkAvailable(c.req.query("username"), clientIp(c));
    return c.json({ available: true });
  });

  router.add(
    "GET",
    "/_matrix/client/v1/register/m.login.registration_token/validity",
    { auth: "none", name: "registration_token_validity" },
    async (c) => c.json({ valid: await registration.tokenValid(c.req.query("token"), clientIp(c)) }),
  );
}

/**
 * With MAS, only application services may register (behaviour spec §1.8).
 * Hearth has no application services yet, so a well-formed request ends at the token check.
 */
async function appserviceOnlyRegistration(body: Record<string, unknown>, kind: string, hasToken: boolean): Promise<never> {
  if (body.type !== "m.login.application_service") {
    throw forbidden("Registration has been disabled. Only m.login.application_service registrations are allowed.");
  }
  if (!body.inhibit_login) {
    throw new MatrixError(
      400,
      "M_APPSERVICE_LOGIN_UNSUPPORTED",
      "This server uses OAuth2, so the inhibit_login parameter must be set to true for appservice registrations.",
    );
  }
  if (kind === "guest") throw forbidden("Guest access is disabled");
  if (kind !== "user") throw new MatrixError(400, "M_UNRECOGNIZED", `Do not understand membership kind: ${kind.slice(0, 100)}`);
  if (typeof body.username !== "string" || body.username.length > 512) throw invalidParam("Invalid username");
  if (!hasToken) throw new MatrixError(400, "M_MISSING_TOKEN", "Appservice token must be provided when using a type of m.login.application_service");
  throw unknownToken("Application service registration is not supported yet");
}
