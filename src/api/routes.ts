import type { Router } from "../http/router.ts";
import type { Services } from "../services.ts";
import { registerVersionRoutes } from "./client/versions.ts";
import { registerWellKnownRoutes } from "./well-known.ts";

/** Every endpoint family of the homeserver. Add new families here. */
export function registerRoutes(router: Router, services: Services): void {
  registerWellKnownRoutes(router, services);
  registerVersionRoutes(router, services);
}
