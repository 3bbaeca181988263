import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import type { Ctx } from "../../http/context.ts";
import { readJsonObject } from "../../http/body.ts";
import { forbidden } from "../../http/errors.ts";
import { serverNameOf } from "../../matrix/identifiers.ts";

/** Filter API: POST /user/{userId}/filter and GET /user/{userId}/filter/{filterId}. */
export function registerFilterRoutes(router: Router, services: Services): void {
  const checkUser = (requester: string, target: string, verb: "create" | "get") => {
    if (serverNameOf(target) !== services.serverName) throw forbidden(`Can only ${verb} filters for local users`);
    if (requester !== target) throw forbidden(`Cannot ${verb} filters for other users`);
  };

  router.client("POST", "/user/:userId/filter", { auth: "required", name: "create_filter" }, async (c) => {
    const userId = param(c, "userId");
    checkUser(c.get("requester").userId, userId, "create");
    const body = await readJsonObject(c);
    const filterId = await services.sync.filters.upload(userId, body);
    return c.json({ filter_id: filterId });
  });

  router.client("GET", "/user/:userId/filter/:filterId", { auth: "required", name: "get_filter" }, async (c) => {
    const userId = param(c, "userId");
    checkUser(c.get("requester").userId, userId, "get");
    return c.json(await services.sync.filters.get(userId, param(c, "filterId")));
  });
}

const param = (c: Ctx, name: string): string => c.req.param(name) ?? "";
