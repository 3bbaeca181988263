// Room membership (spec "Room membership": joining, inviting, leaving, kicking,
// banning, knocking, forgetting, and listing joined rooms is in rooms.ts).
import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { parseBody } from "../../http/body.ts";
import { MatrixError, notFound } from "../../http/errors.ts";
import type { MembershipAction } from "../../rooms/membership.ts";
import { roomIdOrAliasParam, roomIdParam, userIdSchema } from "./room-params.ts";

const reasonSchema = v.optional(v.string("expected a string"));
const selfSchema = v.looseObject({ reason: reasonSchema });
const targetSchema = v.looseObject({ user_id: userIdSchema, reason: reasonSchema });
const inviteSchema = v.looseObject({
  user_id: v.optional(userIdSchema),
  reason: reasonSchema,
  id_server: v.optional(v.string()),
  medium: v.optional(v.string()),
  address: v.optional(v.string()),
});

export function registerMembershipRoutes(router: Router, services: Services): void {
  const rooms = services.rooms;

  async function resolve(roomIdOrAlias: string): Promise<string> {
    const roomId = await rooms.resolveRoom(roomIdOrAlias);
    if (!roomId) throw notFound(`Room alias ${roomIdOrAlias} not found`);
    return roomId;
  }

  router.client("POST", "/join/:roomIdOrAlias", { auth: "required", name: "join_room_by_id_or_alias" }, async (c) => {
    const roomId = await resolve(roomIdOrAliasParam(c));
    const body = await parseBody(c, selfSchema, { allowEmpty: true });
    await rooms.membership.update(c.get("requester"), roomId, "join", { reason: body.reason });
    return c.json({ room_id: roomId });
  });

  router.client("POST", "/knock/:roomIdOrAlias", { auth: "required", name: "knock_room" }, async (c) => {
    const roomId = await resolve(roomIdOrAliasParam(c));
    const body = await parseBody(c, selfSchema, { allowEmpty: true });
    await rooms.membership.update(c.get("requester"), roomId, "knock", { reason: body.reason });
    return c.json({ room_id: roomId });
  });

  router.client("POST", "/rooms/:roomId/join", { auth: "required", name: "join_room" }, async (c) => {
    const roomId = roomIdParam(c);
    const body = await parseBody(c, selfSchema, { allowEmpty: true });
    await rooms.membership.update(c.get("requester"), roomId, "join", { reason: body.reason });
    return c.json({ room_id: roomId });
  });

  router.client("POST", "/rooms/:roomId/leave", { auth: "required", name: "leave_room" }, async (c) => {
    const roomId = roomIdParam(c);
    const body = await parseBody(c, selfSchema, { allowEmpty: true });
    await rooms.membership.update(c.get("requester"), roomId, "leave", { reason: body.reason });
    return c.json({});
  });

  router.client("POST", "/rooms/:roomId/forget", { auth: "required", name: "forget_room" }, async (c) => {
    const roomId = roomIdParam(c);
    await parseBody(c, v.looseObject({}), { allowEmpty: true });
    await rooms.membership.forget(c.get("requester"), roomId);
    return c.json({});
  });

  router.client("POST", "/rooms/:roomId/invite", { auth: "required", name: "invite_user" }, async (c) => {
    const roomId = roomIdParam(c);
    const body = await parseBody(c, inviteSchema);
    if (body.user_id === undefined) {
      if (body.medium !== undefined || body.address !== undefined) {
        throw new MatrixError(400, "M_UNRECOGNIZED", "Third-party invites are not supported");
      }
      throw new MatrixError(400, "M_MISSING_PARAM", "Missing parameter: user_id");
    }
    await rooms.membership.update(c.get("requester"), roomId, "invite", { target: body.user_id, reason: body.reason });
    return c.json({});
  });

  for (const action of ["kick", "ban", "unban"] as const satisfies MembershipAction[]) {
    router.client("POST", `/rooms/:roomId/${action}`, { auth: "required", name: `${action}_user` }, async (c) => {
      const roomId = roomIdParam(c);
      const body = await parseBody(c, targetSchema);
      await rooms.membership.update(c.get("requester"), roomId, action, { target: body.user_id, reason: body.reason });
      return c.json({});
    });
  }
}
