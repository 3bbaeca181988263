import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { adminRoute } from "./access.ts";
import { registerAdminServerRoutes } from "./server.ts";
import { registerAdminUserRoutes } from "./users.ts";
import { registerAdminDeviceRoutes } from "./devices.ts";
import { registerAdminRegistrationTokenRoutes } from "./registration-tokens.ts";

/** Synapse's admin API under /_synapse/admin (shared-secret registration lives in register.ts). */
export function registerAdminRoutes(router: Router, services: Services): void {
  const route = adminRoute(router);
  const admin = services.admin;
  registerAdminServerRoutes(route, router);
  registerAdminUserRoutes(route, router, services, admin.users);
  registerAdminDeviceRoutes(route, services);
  // Under MAS, registration is MAS's business and Synapse does not register these.
  if (!services.masEnabled) registerAdminRegistrationTokenRoutes(route, services, admin.stores.registrationTokens);
}
