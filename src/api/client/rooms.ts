// Room creation and room state (spec "Creation", "Getting events for a room",
// "Sending events to a room" for state).
import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { parseBody, readJsonObject } from "../../http/body.ts";
import { MatrixError, invalidParam } from "../../http/errors.ts";
import { checkRoomCreation } from "../../ratelimit/limiters.ts";
import { contentSchema, eventIdParam, plainParam, roomIdParam, userIdSchema } from "./room-params.ts";

/** A type or state key: the event keeps it in a column of its own, which cannot hold NUL on PostgreSQL. */
const columnString = v.pipe(
  v.string("expected a string"),
  v.check((s) => !s.includes("\u0000"), "must not contain NUL characters"),
);

const initialStateSchema = v.object({
  type: columnString,
  state_key: v.optional(columnString),
  content: contentSchema,
});

const createRoomSchema = v.looseObject({
  visibility: v.optional(v.picklist(["public", "private"], "expected public or private")),
  room_alias_name: v.optional(v.string("expected a string")),
  name: v.optional(v.string("expected a string")),
  topic: v.optional(v.string("expected a string")),
  invite: v.optional(v.array(userIdSchema, "expected a list of user ids")),
  invite_3pid: v.optional(v.array(v.unknown(), "expected a list")),
  room_version: v.optional(v.string("expected a string")),
  creation_content: v.optional(contentSchema),
  initial_state: v.optional(v.array(initialStateSchema, "expected a list of state events")),
  preset: v.optional(v.picklist(["private_chat", "public_chat", "trusted_private_chat"], "expected a known preset")),
  is_direct: v.optional(v.boolean("expected true or false")),
  power_level_content_override: v.optional(contentSchema),
});

const MEMBERSHIPS = ["join", "invite", "knock", "leave", "ban"];

export function registerRoomRoutes(router: Router, services: Services): void {
  const rooms = services.rooms;

  router.client("POST", "/createRoom", { auth: "required", name: "create_room" }, async (c) => {
    const requester = c.get("requester");
    // As in Synapse, the tokens are spent before the request is validated.
    checkRoomCreation(services.ratelimiters, requester.userId);
    const body = await parseBody(c, createRoomSchema, { allowEmpty: true });
    if (body.invite_3pid && body.invite_3pid.length > 0) {
      throw new MatrixError(400, "M_UNRECOGNIZED", "Third-party invites are not supported");
    }
    const { roomId, alias } = await rooms.createRoom(requester, body);
    return c.json(alias !== undefined ? { room_id: roomId, room_alias: alias } : { room_id: roomId });
  });

  router.client("GET", "/joined_rooms", { auth: "required", name: "joined_rooms" }, async (c) => {
    return c.json({ joined_rooms: await rooms.reads.joinedRooms(c.get("requester").userId) });
  });

  router.client("GET", "/rooms/:roomId/state", { auth: "required", name: "room_state" }, async (c) => {
    return c.json(await rooms.reads.state(c.get("requester"), roomIdParam(c)));
  });

  for (const path of ["/rooms/:roomId/state/:eventType/:stateKey", "/rooms/:roomId/state/:eventType", "/rooms/:roomId/state/:eventType/"]) {
    router.client("GET", path, { auth: "required", name: "room_state_event" }, async (c) => {
      const roomId = roomIdParam(c);
      const event = await rooms.reads.stateEvent(c.get("requester"), roomId, plainParam(c, "eventType"), plainParam(c, "stateKey"));
      const format = c.req.query("format") ?? "content";
      if (format !== "content" && format !== "event") throw invalidParam("format must be one of content, event");
      return c.json(format === "event" ? event : event.content);
    });

    router.client("PUT", path, { auth: "required", name: "room_send_state" }, async (c) => {
      const roomId = roomIdParam(c);
      const content = await readJsonObject(c);
      const eventId = await rooms.sending.sendState(c.get("requester"), roomId, plainParam(c, "eventType"), plainParam(c, "stateKey"), content);
      return c.json({ event_id: eventId });
    });
  }

  router.client("GET", "/rooms/:roomId/event/:eventId", { auth: "required", name: "room_event" }, async (c) => {
    return c.json(await rooms.reads.event(c.get("requester"), roomIdParam(c), eventIdParam(c)));
  });

  router.client("GET", "/rooms/:roomId/members", { auth: "required", name: "room_members" }, async (c) => {
    const roomId = roomIdParam(c);
    const membership = c.req.query("membership");
    const notMembership = c.req.query("not_membership");
    for (const [name, value] of [["membership", membership], ["not_membership", notMembership]] as const) {
      if (value !== undefined && !MEMBERSHIPS.includes(value)) throw invalidParam(`Query parameter ${name} must be one of ${MEMBERSHIPS.join(", ")}`);
    }
    const chunk = await rooms.reads.members(c.get("requester"), roomId, { at: c.req.query("at"), membership, notMembership });
    return c.json({ chunk });
  });

  router.client("GET", "/rooms/:roomId/joined_members", { auth: "required", name: "room_joined_members" }, async (c) => {
    return c.json({ joined: await rooms.reads.joinedMembers(c.get("requester"), roomIdParam(c)) });
  });
}
