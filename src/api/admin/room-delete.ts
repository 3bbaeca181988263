// Deleting rooms (behaviour spec §8): v1 answers when done, v2 runs a background task
// whose status is queried by room or by delete id.
import type { Ctx, Requester } from "../../http/context.ts";
import { MatrixError } from "../../http/errors.ts";
import { readJsonObject } from "../../http/body.ts";
import type { AdminRoute } from "./access.ts";
import { boolField, pathRoomId, stringField } from "./params.ts";
import { parseUserId } from "../../matrix/identifiers.ts";
import type { AdminRoomServices } from "../../admin/room-services.ts";
import type { DeleteParams } from "../../admin/room-deletion.ts";

/** The body both versions take; it must be a JSON object (at least `{}`). */
async function deleteParams(c: Ctx, requester: Requester): Promise<DeleteParams> {
  const body = await readJsonObject(c);
  const block = boolField(body, "block", false);
  const purge = boolField(body, "purge", true);
  const forcePurge = boolField(body, "force_purge", false);
  const newRoomUserId = stringField(body, "new_room_user_id") ?? null;
  if (newRoomUserId !== null && !parseUserId(newRoomUserId)) {
    throw new MatrixError(400, "M_INVALID_PARAM", "Invalid parameter new_room_user_id: expected a user id");
  }
  return {
    requesterUserId: requester.puppetedBy ?? requester.userId,
    newRoomUserId,
    roomName: stringField(body, "room_name", { maxLength: 255 }) ?? null,
    message: stringField(body, "message", { maxLength: 65536 }) ?? null,
    block,
    purge,
    forcePurge,
  };
}

export function registerAdminRoomDeleteRoutes(route: AdminRoute, admin: AdminRoomServices): void {
  const target = { target: "roomId" };

  route("DELETE", "/v1/rooms/:roomId", "admin_room_delete", async (c, requester) => {
    const params = await deleteParams(c, requester);
    const roomId = pathRoomId(c);
    return c.json(await admin.deletions.deleteNow(roomId, params));
  }, target);

  route("DELETE", "/v2/rooms/:roomId", "admin_room_delete_v2", async (c, requester) => {
    const params = await deleteParams(c, requester);
    const roomId = pathRoomId(c);
    return c.json({ delete_id: await admin.deletions.start(roomId, params) });
  }, target);

  route("GET", "/v2/rooms/delete_status/:deleteId", "admin_room_delete_status_by_id", async (c) =>
    c.json(await admin.deletions.statusById(c.req.param("deleteId") ?? "")),
  );

  route("GET", "/v2/rooms/:roomId/delete_status", "admin_room_delete_status", async (c) =>
    c.json({ results: await admin.deletions.statusByRoom(pathRoomId(c)) }),
  target);
}
