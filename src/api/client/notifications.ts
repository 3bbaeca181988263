import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { invalidParam } from "../../http/errors.ts";
import { DEFAULT_NOTIFICATIONS_LIMIT, MAX_NOTIFICATIONS_LIMIT } from "../../push/notifications.ts";

/** GET /notifications (spec notifications.yaml). */
export function registerNotificationRoutes(router: Router, services: Services): void {
  router.client("GET", "/notifications", { auth: "required", name: "notifications" }, async (c) => {
    const from = c.req.query("from");
    const limitText = c.req.query("limit");
    if (from !== undefined && from !== "" && !/^\d{1,16}$/.test(from)) throw invalidParam("Invalid from token");
    if (limitText !== undefined && limitText !== "" && !/^\d{1,6}$/.test(limitText)) throw invalidParam("limit must be a non-negative integer");
    const limit = Math.min(limitText ? Number(limitText) : DEFAULT_NOTIFICATIONS_LIMIT, MAX_NOTIFICATIONS_LIMIT);
    const page = await services.sync.notifications.page(c.get("requester").userId, {
      from: from ? Number(from) : undefined,
      limit,
      onlyHighlight: c.req.query("only") === "highlight",
    });
    return c.json(page);
  });
}
