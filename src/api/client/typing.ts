import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import type { Ctx } from "../../http/context.ts";
import { parseBody } from "../../http/body.ts";
import { forbidden } from "../../http/errors.ts";

const typingBody = v.looseObject({
  typing: v.boolean("typing must be a boolean"),
  timeout: v.optional(v.pipe(v.number("timeout must be a number"), v.minValue(0, "timeout must not be negative"))),
});

/** PUT /rooms/{roomId}/typing/{userId} (spec typing.yaml). */
export function registerTypingRoutes(router: Router, services: Services): void {
  router.client("PUT", "/rooms/:roomId/typing/:userId", { auth: "required", name: "typing" }, async (c) => {
    const requester = c.get("requester");
    const roomId = param(c, "roomId");
    const userId = param(c, "userId");
    if (userId !== requester.userId) throw forbidden("Cannot set another user's typing state");
    const body = await parseBody(c, typingBody);
    await services.sync.setTyping(requester.userId, roomId, body.typing, body.timeout);
    return c.json({});
  });
}

const param = (c: Ctx, name: string): string => c.req.param(name) ?? "";
