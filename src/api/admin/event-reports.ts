// docs/admin_api/event_reports.md, and the client endpoint that files the reports
// (spec "Reporting content": POST /rooms/{roomId}/report/{eventId}).
import type { Router } from "../../http/router.ts";
import type { Ctx } from "../../http/context.ts";
import { MatrixError, badJson } from "../../http/errors.ts";
import { readJsonObject } from "../../http/body.ts";
import type { AdminRoute } from "./access.ts";
import { dirParam, intParam, stringParam } from "./params.ts";
import { eventIdParam, roomIdParam } from "../client/room-params.ts";
import type { AdminRoomServices } from "../../admin/room-services.ts";

const MAX_REASON_LENGTH = 1000;

function reportId(c: Ctx): number {
  const raw = c.req.param("reportId") ?? "";
  if (!/^\d{1,15}$/.test(raw)) {
    throw new MatrixError(400, "M_INVALID_PARAM", "The report_id parameter must be a string representing a positive integer.");
  }
  return Number(raw);
}

export function registerAdminEventReportRoutes(route: AdminRoute, router: Router, admin: AdminRoomServices): void {
  const reports = admin.reports;

  route("GET", "/v1/event_reports", "admin_event_reports", async (c) => {
    const from = intParam(c, "from", { default: 0 });
    const limit = intParam(c, "limit", { default: 100 });
    const { reports: page, total } = await reports.list({
      from,
      limit,
      dir: dirParam(c, "b"),
      userId: stringParam(c, "user_id"),
      roomId: stringParam(c, "room_id"),
      eventSender: stringParam(c, "event_sender_user_id"),
    });
    const body: Record<string, unknown> = { event_reports: page, total };
    if (from + limit < total) body.next_token = from + page.length;
    return c.json(body);
  });
  route("GET", "/v1/event_reports/:reportId", "admin_event_report", async (c) => c.json(await reports.get(reportId(c))), { target: "reportId" });
  route("DELETE", "/v1/event_reports/:reportId", "admin_event_report_delete", async (c) => {
    await reports.delete(reportId(c));
    return c.json({});
  }, { target: "reportId" });

  router.client("POST", "/rooms/:roomId/report/:eventId", { auth: "required", name: "client_report_event" }, async (c) => {
    const roomId = roomIdParam(c);
    const eventId = eventIdParam(c);
    const body = await readJsonObject(c);
    const reason = body.reason ?? undefined;
    if (reason !== undefined && reason !== null && typeof reason !== "string") throw badJson("Param 'reason' must be a string");
    if (typeof reason === "string" && reason.length > MAX_REASON_LENGTH) throw new MatrixError(400, "M_INVALID_PARAM", `Param 'reason' is too long (max ${MAX_REASON_LENGTH})`);
    const score = body.score ?? undefined;
    if (score !== undefined && score !== null && (typeof score !== "number" || !Number.isSafeInteger(score))) throw badJson("Param 'score' must be an integer");
    await reports.report(c.get("requester"), roomId, eventId, {
      reason: typeof reason === "string" ? reason : undefined,
      score: typeof score === "number" ? score : undefined,
    });
    return c.json({});
  });
}
