import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { readJsonObject } from "../../http/body.ts";

const PATH = "/_synapse/admin/v1/register";

/**
 * Shared-secret registration (behaviour spec §4), no access token needed.
 * Not served when MAS handles accounts.
 */
export function registerSharedSecretRoutes(router: Router, services: Services): void {
  if (services.masEnabled) return;
  const shared = services.accounts.sharedSecret;

  // Works without a configured secret too, as in Synapse.
  router.add("GET", PATH, { auth: "none", name: "admin_register_nonce" }, (c) => c.json({ nonce: shared.newNonce() }));

  router.add("POST", PATH, { auth: "none", name: "admin_register" }, async (c) => {
    shared.expireNonces();
    shared.assertEnabled();
    const body = await readJsonObject(c);
    return c.json(await shared.register(body));
  });
}
