import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { adminRoute } from "./access.ts";
import { registerAdminServerRoutes } from "./server.ts";
import { registerAdminUserRoutes } from "./users.ts";
import { registerAdminDeviceRoutes } from "./devices.ts";
import { registerAdminRegistrationTokenRoutes } from "./registration-tokens.ts";
import { registerAdminRoomRoutes } from "./rooms.ts";
import { registerAdminRoomDeleteRoutes } from "./room-delete.ts";
import { registerAdminPurgeHistoryRoutes } from "./purge-history.ts";
import { registerAdminEventReportRoutes } from "./event-reports.ts";

/** Synapse's admin API under /_synapse/admin (shared-secret registration lives in register.ts). */
export function registerAdminRoutes(router: Router, services: Services): void {
  const route = adminRoute(router);
  const admin = services.admin;
  registerAdminServerRoutes(route, router);
  registerAdminUserRoutes(route, router, services, admin.users);
  registerAdminDeviceRoutes(route, services);
  // Under MAS, registration is MAS's business and Synapse does not register these.
  if (!services.masEnabled) registerAdminRegistrationTokenRoutes(route, services, admin.stores.registrationTokens);
  // Deletion first: DELETE /v1/rooms/:roomId and the v2 status paths before the room reads.
  registerAdminRoomDeleteRoutes(route, services.adminRooms);
  registerAdminRoomRoutes(route, services, services.adminRooms);
  registerAdminPurgeHistoryRoutes(route, services.adminRooms);
  registerAdminEventReportRoutes(route, router, services.adminRooms);
}
