// Room upgrades (spec "Room upgrades"; behaviour spec §7).
import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { parseBody } from "../../http/body.ts";
import { checkRoomCreation } from "../../ratelimit/limiters.ts";
import { roomIdParam } from "./room-params.ts";

const upgradeSchema = v.looseObject({
  new_version: v.string("expected a room version"),
  additional_creators: v.optional(v.unknown()),
});

export function registerRoomUpgradeRoutes(router: Router, services: Services): void {
  router.client("POST", "/rooms/:roomId/upgrade", { auth: "required", name: "room_upgrade" }, async (c) => {
    const requester = c.get("requester");
    // Counts as a room creation, and as in Synapse the tokens are spent before anything is checked.
    checkRoomCreation(services.ratelimiters, requester.userId);
    const roomId = roomIdParam(c);
    const body = await parseBody(c, upgradeSchema);
    const replacement = await services.directory.upgrades.upgrade(requester, roomId, body.new_version, body.additional_creators);
    return c.json({ replacement_room: replacement });
  });
}
