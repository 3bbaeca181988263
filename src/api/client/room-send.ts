// Sending events (spec "Sending events to a room" for messages, "Redactions").
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { readJsonObject } from "../../http/body.ts";
import { invalidParam } from "../../http/errors.ts";
import { eventIdParam, plainParam, roomIdParam } from "./room-params.ts";

export function registerRoomSendRoutes(router: Router, services: Services): void {
  const sending = services.rooms.sending;

  router.client("PUT", "/rooms/:roomId/send/:eventType/:txnId", { auth: "required", name: "room_send" }, async (c) => {
    const roomId = roomIdParam(c);
    const content = await readJsonObject(c);
    const eventId = await sending.sendMessage(c.get("requester"), roomId, plainParam(c, "eventType"), content, plainParam(c, "txnId"));
    return c.json({ event_id: eventId });
  });

  router.client("PUT", "/rooms/:roomId/redact/:eventId/:txnId", { auth: "required", name: "room_redact" }, async (c) => {
    const roomId = roomIdParam(c);
    const eventId = eventIdParam(c);
    const body = await readJsonObject(c, { allowEmpty: true });
    if (body.reason !== undefined && typeof body.reason !== "string") throw invalidParam("reason must be a string");
    const redactionId = await sending.redact(c.get("requester"), roomId, eventId, body, plainParam(c, "txnId"));
    return c.json({ event_id: redactionId });
  });
}
