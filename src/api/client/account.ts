import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { parseBody } from "../../http/body.ts";
import { MAX_PASSWORD_LENGTH } from "../../accounts/passwords.ts";
import { passwordPolicyView } from "../../accounts/password-policy.ts";
import { requestInfo, requireNonGuest } from "./account-common.ts";

const passwordBody = v.object({
  auth: v.optional(v.unknown()),
  new_password: v.optional(v.pipe(v.string(), v.maxLength(MAX_PASSWORD_LENGTH))),
  logout_devices: v.optional(v.boolean()),
});

const deactivateBody = v.object({
  auth: v.optional(v.unknown()),
  id_server: v.optional(v.string()),
  erase: v.optional(v.boolean()),
});

/** `GET /account/whoami`, `POST /account/password`, `POST /account/deactivate`. */
export function registerAccountRoutes(router: Router, services: Services): void {
  router.client("GET", "/account/whoami", { auth: "required", name: "whoami" }, (c) => {
    const r = c.get("requester");
    const body: Record<string, unknown> = { user_id: r.userId, is_guest: r.isGuest };
    if (r.deviceId !== null) body.device_id = r.deviceId;
    return c.json(body);
  });

  // With MAS, passwords and deactivation belong to MAS.
  if (services.masEnabled) return;
  const { management, settings } = services.accounts;

  // MSC2000, served where Synapse serves it.
  const policy = passwordPolicyView(settings.passwords.policy);
  router.client("GET", "/password_policy", { auth: "none", name: "password_policy" }, (c) => c.json(policy));

  router.client("POST", "/account/password", { auth: "required", name: "change_password" }, async (c) => {
    const requester = c.get("requester");
    requireNonGuest(requester);
    const body = await parseBody(c, passwordBody);
    await management.changePassword(requester, body, requestInfo(c));
    return c.json({});
  });

  router.client("POST", "/account/deactivate", { auth: "required", name: "deactivate" }, async (c) => {
    const requester = c.get("requester");
    requireNonGuest(requester);
    const body = await parseBody(c, deactivateBody);
    await management.deactivateWithAuth(requester, body, requestInfo(c));
    return c.json({ id_server_unbind_result: "success" });
  });
}
