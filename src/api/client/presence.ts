import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import type { Ctx } from "../../http/context.ts";
import { parseBody } from "../../http/body.ts";
import { forbidden, notFound } from "../../http/errors.ts";

const presenceBody = v.looseObject({
  presence: v.picklist(["online", "offline", "unavailable"], "presence must be online, offline or unavailable"),
  status_msg: v.optional(v.nullable(v.pipe(v.string("status_msg must be a string"), v.maxLength(1024, "status_msg is too long")))),
});

/** PUT|GET /presence/{userId}/status (spec presence.yaml). */
export function registerPresenceRoutes(router: Router, services: Services): void {
  router.client("PUT", "/presence/:userId/status", { auth: "required", name: "presence_status" }, async (c) => {
    const requester = c.get("requester");
    if (param(c, "userId") !== requester.userId) throw forbidden("Can only set your own presence state");
    const body = await parseBody(c, presenceBody);
    await services.sync.presence.setState(requester.userId, body.presence, body.status_msg ?? null);
    return c.json({});
  });

  router.client("GET", "/presence/:userId/status", { auth: "required", name: "presence_status" }, async (c) => {
    const requester = c.get("requester");
    const target = param(c, "userId");
    if (target !== requester.userId && !(await services.sync.sharesRoom(requester.userId, target))) {
      throw forbidden("You are not allowed to see their presence");
    }
    const row = await services.sync.presence.get(target);
    if (!row) {
      if (!(await services.stores.users.get(target))) throw notFound("Unknown user");
      return c.json({ presence: "offline" });
    }
    return c.json(services.sync.presence.format(row));
  });
}

const param = (c: Ctx, name: string): string => c.req.param(name) ?? "";
