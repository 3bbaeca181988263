import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import type { Ctx } from "../../http/context.ts";
import { readJsonObject } from "../../http/body.ts";
import { forbidden } from "../../http/errors.ts";
import { pathParam, requireNonGuest } from "./account-common.ts";

/** Account data, global and per room (spec "Client Config"). Only your own. */
export function registerAccountDataRoutes(router: Router, services: Services): void {
  const { accountData } = services.accounts;

  const owner = (c: Ctx, verb: "add" | "get"): string => {
    const requester = c.get("requester");
    requireNonGuest(requester);
    if (pathParam(c, "userId") !== requester.userId) throw forbidden(verb === "add" ? "Cannot add account data for other users." : "Cannot get account data for other users.");
    return requester.userId;
  };

  router.client("PUT", "/user/:userId/account_data/:type", { auth: "required", name: "set_account_data" }, async (c) => {
    const userId = owner(c, "add");
    await accountData.setGlobal(userId, pathParam(c, "type"), await readJsonObject(c));
    return c.json({});
  });

  router.client("GET", "/user/:userId/account_data/:type", { auth: "required", name: "get_account_data" }, async (c) => {
    return c.json(await accountData.getGlobal(owner(c, "get"), pathParam(c, "type")));
  });

  router.client("PUT", "/user/:userId/rooms/:roomId/account_data/:type", { auth: "required", name: "set_room_account_data" }, async (c) => {
    const userId = owner(c, "add");
    await accountData.setForRoom(userId, pathParam(c, "roomId"), pathParam(c, "type"), await readJsonObject(c));
    return c.json({});
  });

  router.client("GET", "/user/:userId/rooms/:roomId/account_data/:type", { auth: "required", name: "get_room_account_data" }, async (c) => {
    return c.json(await accountData.getForRoom(owner(c, "get"), pathParam(c, "roomId"), pathParam(c, "type")));
  });
}
