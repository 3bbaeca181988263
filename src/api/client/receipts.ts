import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import type { Ctx } from "../../http/context.ts";
import { readJsonObject } from "../../http/body.ts";

/** POST /rooms/{roomId}/receipt/{receiptType}/{eventId} (spec receipts.yaml). */
export function registerReceiptRoutes(router: Router, services: Services): void {
  router.client("POST", "/rooms/:roomId/receipt/:receiptType/:eventId", { auth: "required", name: "receipts" }, async (c) => {
    const { userId } = c.get("requester");
    // Older clients send no body at all.
    const body = await readJsonObject(c, { allowEmpty: true });
    await services.sync.receipts.post(userId, param(c, "roomId"), param(c, "receiptType"), param(c, "eventId"), body);
    void services.sync.presence.bumpActive(userId);
    return c.json({});
  });
}

const param = (c: Ctx, name: string): string => c.req.param(name) ?? "";
