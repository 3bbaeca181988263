import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { CREATABLE_ROOM_VERSIONS, DEFAULT_ROOM_VERSION } from "../../matrix/room-versions.ts";

/** `GET /capabilities`. */
export function registerCapabilitiesRoutes(router: Router, services: Services): void {
  const defaultVersion = services.config.default_room_version ?? DEFAULT_ROOM_VERSION;
  router.client("GET", "/capabilities", { auth: "required", name: "capabilities" }, (c) =>
    c.json({
      capabilities: {
        "m.room_versions": {
          default: defaultVersion,
          available: Object.fromEntries(CREATABLE_ROOM_VERSIONS.map((v) => [v, "stable"])),
        },
        // With MAS, passwords are changed in MAS.
        "m.change_password": { enabled: !services.masEnabled },
        "m.set_displayname": { enabled: true },
        "m.set_avatar_url": { enabled: true },
        "m.3pid_changes": { enabled: false },
        "m.get_login_token": { enabled: false },
        "m.profile_fields": { enabled: true },
      },
    }),
  );
}
