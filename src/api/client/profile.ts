import type { Ctx } from "../../http/context.ts";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { readJsonObject } from "../../http/body.ts";
import { MatrixError, invalidParam } from "../../http/errors.ts";
import { isValidUserId } from "../../matrix/identifiers.ts";
import { DISPLAYNAME } from "../../accounts/profile.ts";
import { pathParam, requireNonGuest } from "./account-common.ts";

function userIdParam(raw: string): string {
  if (!isValidUserId(raw, { historical: true })) throw invalidParam("Invalid user id");
  return raw;
}

/** Profiles (spec "Profiles", with v1.16's custom fields). */
export function registerProfileRoutes(router: Router, services: Services): void {
  const { profile, settings } = services.accounts;
  // `require_auth_for_profile_requests`: lookups need an access token (and then may be limited to shared rooms).
  const lookupAuth = settings.requireAuthForProfileRequests ? "required" : "none";
  const joinedRoomIds = (userId: string) => services.rooms.stores.rooms.joinedRoomIds(userId);
  const lookedUp = async (c: Ctx): Promise<string> => {
    const userId = userIdParam(pathParam(c, "userId"));
    if (lookupAuth === "required") {
      const requester = c.get("requester");
      requireNonGuest(requester);
      await profile.checkQueryAllowed(userId, requester.userId, joinedRoomIds);
    }
    return userId;
  };

  router.client("GET", "/profile/:userId", { auth: lookupAuth, name: "profile" }, async (c) => {
    return c.json(await profile.getProfile(await lookedUp(c)));
  });

  router.client("GET", "/profile/:userId/:keyName", { auth: lookupAuth, name: "profile_field" }, async (c) => {
    const key = pathParam(c, "keyName");
    const value = await profile.getField(await lookedUp(c), key);
    return c.json({ [key]: value });
  });

  router.client("PUT", "/profile/:userId/:keyName", { auth: "required", name: "set_profile_field" }, async (c) => {
    const userId = userIdParam(pathParam(c, "userId"));
    const key = pathParam(c, "keyName");
    const requester = c.get("requester");
    // Guests may set a display name, nothing else (as in Synapse).
    if (key !== DISPLAYNAME) requireNonGuest(requester);
    const body = await readJsonObject(c);
    if (!(key in body)) throw new MatrixError(400, "M_MISSING_PARAM", `Missing key '${key.slice(0, 255)}'`);
    await profile.setField(requester, userId, key, body[key]);
    return c.json({});
  });

  router.client("DELETE", "/profile/:userId/:keyName", { auth: "required", name: "delete_profile_field" }, async (c) => {
    const userId = userIdParam(pathParam(c, "userId"));
    const key = pathParam(c, "keyName");
    const requester = c.get("requester");
    if (key !== DISPLAYNAME) requireNonGuest(requester);
    await profile.deleteField(requester, userId, key);
    return c.json({});
  });
}
