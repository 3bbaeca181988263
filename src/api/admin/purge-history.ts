// docs/admin_api/purge_history_api.md
import { MatrixError, badJson } from "../../http/errors.ts";
import { readJsonObject } from "../../http/body.ts";
import type { Ctx } from "../../http/context.ts";
import type { AdminRoute } from "./access.ts";
import { pathRoomId } from "./params.ts";
import { isValidEventId } from "../../matrix/identifiers.ts";
import type { AdminRoomServices } from "../../admin/room-services.ts";
import type { PurgePoint } from "../../admin/history-purge.ts";

export function registerAdminPurgeHistoryRoutes(route: AdminRoute, admin: AdminRoomServices): void {
  const purge = async (c: Ctx) => {
    const roomId = pathRoomId(c);
    const body = await readJsonObject(c, { allowEmpty: true });
    const deleteLocal = Boolean(body.delete_local_events ?? false);
    const eventId = c.req.param("eventId") ?? body.purge_up_to_event_id;
    let point: PurgePoint;
    if (eventId !== undefined && eventId !== null) {
      if (typeof eventId !== "string" || !isValidEventId(eventId)) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid parameter purge_up_to_event_id: expected an event id");
      point = { eventId };
    } else if ("purge_up_to_ts" in body) {
      const ts = body.purge_up_to_ts;
      if (typeof ts !== "number" || !Number.isSafeInteger(ts)) throw badJson("purge_up_to_ts must be an int");
      point = { ts };
    } else {
      throw badJson("must specify purge_up_to_event_id or purge_up_to_ts");
    }
    return c.json({ purge_id: await admin.history.start(roomId, point, deleteLocal) });
  };
  const target = { target: "roomId" };
  route("POST", "/v1/purge_history/:roomId", "admin_purge_history", purge, target);
  route("POST", "/v1/purge_history/:roomId/:eventId", "admin_purge_history", purge, target);
  route("GET", "/v1/purge_history_status/:purgeId", "admin_purge_history_status", async (c) =>
    c.json(await admin.history.status(c.req.param("purgeId") ?? "")),
  );
}
