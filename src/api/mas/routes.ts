import type { Router, Handler } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { requireMasSecret } from "./auth.ts";
import { registerMasUserRoutes } from "./users.ts";
import { registerMasDeviceRoutes } from "./devices.ts";

/** Registers one /_synapse/mas/<name> endpoint, guarded by the shared secret. */
export type MasRoute = (method: "GET" | "POST", name: string, handler: Handler) => void;

/**
 * The private API MAS calls to mirror its users and sessions here. It exists
 * only when delegation is on: otherwise the paths are unknown (404).
 */
export function registerMasRoutes(router: Router, services: Services): void {
  const mas = services.mas;
  if (!mas) return;
  const secret = mas.settings.secret;
  const route: MasRoute = (method, name, handler) =>
    router.add(method, `/_synapse/mas/${name}`, { name: `mas_${name}` }, (c) => {
      requireMasSecret(c, secret);
      return handler(c);
    });
  registerMasUserRoutes(route, mas.accounts);
  registerMasDeviceRoutes(route, mas.accounts);
}
