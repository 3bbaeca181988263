// Reading a room's history (spec "Getting events for a room": /messages, /context,
// /timestamp_to_event; "Relationships": /relations; "Threading": /threads).
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { invalidParam, missingParam } from "../../http/errors.ts";
import { dirQuery, eventIdParam, filterQuery, intQuery, plainParam, roomIdParam } from "./room-params.ts";

export function registerRoomHistoryRoutes(router: Router, services: Services): void {
  const rooms = services.rooms;

  router.client("GET", "/rooms/:roomId/messages", { auth: "required", name: "room_messages" }, async (c) => {
    const roomId = roomIdParam(c);
    const page = await rooms.messages.messages(c.get("requester"), roomId, {
      dir: dirQuery(c, "f"),
      from: c.req.query("from") || undefined,
      to: c.req.query("to") || undefined,
      limit: intQuery(c, "limit", 10, 0, 1000),
      filter: filterQuery(c),
    });
    return c.json(page);
  });

  router.client("GET", "/rooms/:roomId/context/:eventId", { auth: "required", name: "room_context" }, async (c) => {
    const roomId = roomIdParam(c);
    const eventId = eventIdParam(c);
    const limit = intQuery(c, "limit", 10, 0, 100);
    return c.json(await rooms.messages.context(c.get("requester"), roomId, eventId, limit, filterQuery(c)));
  });

  router.add("GET", "/_matrix/client/v1/rooms/:roomId/timestamp_to_event", { auth: "required", name: "timestamp_to_event" }, async (c) => {
    const roomId = roomIdParam(c);
    if (c.req.query("ts") === undefined) throw missingParam("ts");
    if (c.req.query("dir") === undefined) throw missingParam("dir");
    const ts = intQuery(c, "ts", 0, 0, Number.MAX_SAFE_INTEGER);
    return c.json(await rooms.messages.timestampToEvent(c.get("requester"), roomId, ts, dirQuery(c, "f")));
  });

  const relationPaths = [
    "/_matrix/client/v1/rooms/:roomId/relations/:eventId",
    "/_matrix/client/v1/rooms/:roomId/relations/:eventId/:relType",
    "/_matrix/client/v1/rooms/:roomId/relations/:eventId/:relType/:eventType",
  ];
  for (const path of relationPaths) {
    router.add("GET", path, { auth: "required", name: "relations" }, async (c) => {
      const roomId = roomIdParam(c);
      const eventId = eventIdParam(c);
      const relType = c.req.param("relType");
      const eventType = c.req.param("eventType");
      return c.json(
        await rooms.relations.relations(c.get("requester"), roomId, eventId, {
          relType: relType === undefined ? undefined : plainParam(c, "relType"),
          eventType: eventType === undefined ? undefined : plainParam(c, "eventType"),
          dir: dirQuery(c, "b"),
          from: c.req.query("from") || undefined,
          to: c.req.query("to") || undefined,
          limit: intQuery(c, "limit", 5, 1, 1000),
        }),
      );
    });
  }

  router.add("GET", "/_matrix/client/v1/rooms/:roomId/threads", { auth: "required", name: "threads" }, async (c) => {
    const roomId = roomIdParam(c);
    const include = c.req.query("include") ?? "all";
    if (include !== "all" && include !== "participated") throw invalidParam("include must be one of all, participated");
    return c.json(
      await rooms.relations.threads(c.get("requester"), roomId, {
        include,
        from: c.req.query("from") || undefined,
        limit: intQuery(c, "limit", 5, 1, 100),
      }),
    );
  });
}
