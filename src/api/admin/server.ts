import pkg from "../../../package.json" with { type: "json" };
import type { Router } from "../../http/router.ts";
import { ADMIN_PREFIX, type AdminRoute } from "./access.ts";

/** Synapse's shape: a version number first, then details in parentheses. */
export const SERVER_VERSION = `${pkg.version} (Hearth, bun ${Bun.version})`;

export function registerAdminServerRoutes(route: AdminRoute, router: Router): void {
  // Public in Synapse too (the version is in the Server header anyway): tools call it before logging in.
  router.add("GET", `${ADMIN_PREFIX}/v1/server_version`, { name: "admin_server_version" }, (c) =>
    c.json({ server_version: SERVER_VERSION }),
  );

  // Hearth migrates its schema at start-up and runs no background updates, so there is never one in progress.
  route("GET", "/v1/background_updates/status", "admin_background_updates_status", (c) =>
    c.json({ enabled: true, current_updates: {} }),
  );
  route("GET", "/v1/background_updates/enabled", "admin_background_updates_enabled", (c) => c.json({ enabled: true }));
}
