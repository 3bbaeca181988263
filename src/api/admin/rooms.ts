// docs/admin_api/rooms.md: list, details, members, state, messages, block, join, make_room_admin.
import type { Services } from "../../services.ts";
import { MatrixError, badJson, notFound } from "../../http/errors.ts";
import { readJsonObject } from "../../http/body.ts";
import type { AdminRoute } from "./access.ts";
import { boolParam, dirParam, intParam, isLocalUser, pathRoomId, requireField, stringParam } from "./params.ts";
import { filterQuery } from "../client/room-params.ts";
import { parseUserId } from "../../matrix/identifiers.ts";
import { ROOM_ORDERS } from "../../admin/room-summary.ts";
import type { AdminRoomServices } from "../../admin/room-services.ts";

const bad = (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg);

export function registerAdminRoomRoutes(route: AdminRoute, services: Services, admin: AdminRoomServices): void {
  const rooms = admin.rooms;
  const target = { target: "roomId" };

  route("GET", "/v1/rooms", "admin_rooms_list", async (c) => {
    const from = intParam(c, "from", { default: 0 });
    const limit = intParam(c, "limit", { default: 100 });
    const searchTerm = stringParam(c, "search_term");
    if (searchTerm === "") throw bad("search_term cannot be an empty string");
    const { rooms: page, total } = await rooms.list({
      from,
      limit,
      orderBy: stringParam(c, "order_by", { allowed: ROOM_ORDERS, default: "name" }),
      dir: dirParam(c),
      searchTerm,
      publicRooms: boolParam(c, "public_rooms"),
      emptyRooms: boolParam(c, "empty_rooms"),
    });
    const body: Record<string, unknown> = { rooms: page, offset: from, total_rooms: total };
    if (from + limit < total) body.next_batch = from + limit;
    if (from > 0) body.prev_batch = from > limit ? from - limit : 0;
    return c.json(body);
  });

  route("GET", "/v1/rooms/:roomId", "admin_room_details", async (c) => c.json(await rooms.details(pathRoomId(c))), target);

  route("GET", "/v1/rooms/:roomId/members", "admin_room_members", async (c) => {
    const members = await rooms.members(pathRoomId(c));
    return c.json({ members, total: members.length });
  }, target);

  route("GET", "/v1/rooms/:roomId/state", "admin_room_state", async (c) => {
    const type = stringParam(c, "type");
    return c.json({ state: await rooms.state(pathRoomId(c), type || undefined) });
  }, target);

  route("GET", "/v1/rooms/:roomId/messages", "admin_room_messages", async (c) => {
    const roomId = pathRoomId(c);
    return c.json(
      await rooms.messages(roomId, {
        dir: dirParam(c),
        from: stringParam(c, "from"),
        to: stringParam(c, "to"),
        limit: intParam(c, "limit", { default: 10, max: 1000 }),
        filter: filterQuery(c),
      }),
    );
  }, target);

  route("GET", "/v1/rooms/:roomId/block", "admin_room_block_status", async (c) => c.json(await rooms.blockStatus(pathRoomId(c))), target);
  route("PUT", "/v1/rooms/:roomId/block", "admin_room_block", async (c, requester) => {
    const roomId = pathRoomId(c);
    const body = await readJsonObject(c);
    const block = body.block;
    if (typeof block !== "boolean") throw badJson("Param 'block' must be a boolean.");
    await rooms.setBlocked(requester.userId, roomId, block);
    return c.json({ block });
  }, target);

  route("POST", "/v1/join/:roomIdOrAlias", "admin_room_join", async (c, requester) => {
    const body = await readJsonObject(c);
    const userId = requireField(body, "user_id");
    if (typeof userId !== "string" || !parseUserId(userId)) throw bad("Invalid parameter user_id: expected a user id");
    if (!isLocalUser(userId, services.serverName)) throw bad("This endpoint can only be used with local users");
    if (!(await services.stores.users.get(userId))) throw notFound("User not found");
    const roomId = await rooms.resolve(c.req.param("roomIdOrAlias") ?? "");
    await rooms.join(requester, roomId, userId);
    return c.json({ room_id: roomId });
  }, { target: "roomIdOrAlias" });

  route("POST", "/v1/rooms/:roomIdOrAlias/make_room_admin", "admin_room_make_admin", async (c, requester) => {
    const body = await readJsonObject(c, { allowEmpty: true });
    const userId = body.user_id ?? requester.userId;
    if (typeof userId !== "string" || !parseUserId(userId)) throw bad("Invalid parameter user_id: expected a user id");
    const roomId = await rooms.resolve(c.req.param("roomIdOrAlias") ?? "");
    await rooms.makeRoomAdmin(requester, roomId, userId);
    return c.json({});
  }, { target: "roomIdOrAlias" });
}
