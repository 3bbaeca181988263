import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import type { Ctx } from "../../http/context.ts";
import { readJsonObject } from "../../http/body.ts";

/** POST /rooms/{roomId}/read_markers (spec read_markers.yaml). */
export function registerReadMarkerRoutes(router: Router, services: Services): void {
  router.client("POST", "/rooms/:roomId/read_markers", { auth: "required", name: "read_markers" }, async (c) => {
    const { userId } = c.get("requester");
    const body = await readJsonObject(c);
    await services.sync.receipts.readMarkers(userId, param(c, "roomId"), body);
    void services.sync.presence.bumpActive(userId);
    return c.json({});
  });
}

const param = (c: Ctx, name: string): string => c.req.param(name) ?? "";
