import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import type { Ctx } from "../../http/context.ts";
import { MatrixError } from "../../http/errors.ts";

/**
 * Third-party identifiers (e-mail, phone). Hearth does not store or verify
 * any: listing answers an empty list, adding answers M_THREEPID_DENIED,
 * removing answers that there was nothing an identity server had to unbind.
 * With `enable_3pid_changes` off (Hearth's default), the endpoints Synapse
 * gates answer its 400 M_FORBIDDEN instead.
 */
export function registerThreepidRoutes(router: Router, services: Services): void {
  const denied = () => {
    throw new MatrixError(403, "M_THREEPID_DENIED", "Third-party identifiers (e-mail addresses, phone numbers) are not supported on this server");
  };
  const noSupport = (c: Ctx) => c.json({ id_server_unbind_result: "no-support" });
  const changesDisabled = () => {
    throw new MatrixError(400, "M_FORBIDDEN", "3PID changes are disabled on this server");
  };
  const changes = services.accounts.settings.enable3pidChanges;

  router.client("GET", "/account/3pid", { auth: "required", name: "threepids" }, (c) => c.json({ threepids: [] }));
  router.client("POST", "/account/3pid/bind", { auth: "required", name: "threepid_bind" }, denied);
  router.client("POST", "/account/3pid/unbind", { auth: "required", name: "threepid_unbind" }, noSupport);

  if (services.masEnabled) {
    router.client("POST", "/account/3pid", { auth: "none", name: "threepid_add_legacy" }, () => {
      throw new MatrixError(404, "M_UNRECOGNIZED", "Unrecognized request");
    });
    return;
  }
  router.client("POST", "/account/3pid", { auth: "required", name: "threepid_add_legacy" }, changes ? denied : changesDisabled);
  router.client("POST", "/account/3pid/add", { auth: "required", name: "threepid_add" }, changes ? denied : changesDisabled);
  router.client("POST", "/account/3pid/delete", { auth: "required", name: "threepid_delete" }, changes ? noSupport : changesDisabled);
  for (const medium of ["email", "msisdn"]) {
    const gated = medium === "email" && !changes;
    router.client("POST", `/account/3pid/${medium}/requestToken`, { auth: "none", name: `threepid_${medium}_request_token` }, gated ? changesDisabled : denied);
    router.client("POST", `/register/${medium}/requestToken`, { auth: "none", name: `register_${medium}_request_token` }, denied);
    router.client("POST", `/account/password/${medium}/requestToken`, { auth: "none", name: `password_reset_${medium}_request_token` }, denied);
  }
}
