import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { CREATABLE_ROOM_VERSIONS, DEFAULT_ROOM_VERSION } from "../../matrix/room-versions.ts";

/** `GET /capabilities`. */
export function registerCapabilitiesRoutes(router: Router, services: Services): void {
  const defaultVersion = services.config.default_room_version ?? DEFAULT_ROOM_VERSION;
  const s = services.accounts.settings;
  const disallowed = [...(s.enableSetDisplayname ? [] : ["displayname"]), ...(s.enableSetAvatarUrl ? [] : ["avatar_url"])];
  router.client("GET", "/capabilities", { auth: "required", name: "capabilities" }, (c) =>
    c.json({
      capabilities: {
        "m.room_versions": {
          default: defaultVersion,
          available: Object.fromEntries(CREATABLE_ROOM_VERSIONS.map((v) => [v, "stable"])),
        },
        // With MAS, passwords are changed in MAS.
        "m.change_password": { enabled: !services.masEnabled && s.passwords.login && s.passwords.localdb },
        "m.set_displayname": { enabled: s.enableSetDisplayname },
        "m.set_avatar_url": { enabled: s.enableSetAvatarUrl },
        "m.3pid_changes": { enabled: !services.masEnabled && s.enable3pidChanges },
        "m.get_login_token": { enabled: false },
        "m.profile_fields": disallowed.length > 0 ? { enabled: true, disallowed } : { enabled: true },
      },
    }),
  );
}
