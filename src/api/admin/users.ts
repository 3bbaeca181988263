// Synapse's user admin API (docs/admin_api/user_admin_api.md): list, query, create or
// modify, deactivate, passwords, the admin flag, whois, rooms, log in as, shadow-ban.
import type { Services } from "../../services.ts";
import type { Router } from "../../http/router.ts";
import type { Ctx } from "../../http/context.ts";
import { MatrixError, badJson, notFound } from "../../http/errors.ts";
import { readJsonObject } from "../../http/body.ts";
import { requireServerAdmin, type AdminRoute } from "./access.ts";
import { boolParam, dirParam, intParam, isLocalUser, pathUserId, stringParam, stringsParam, requireField } from "./params.ts";
import { USER_ORDERS } from "../../storage/stores/admin-users.ts";
import { userListEntry, type UserAdmin, type UserUpsert } from "../../admin/users.ts";
import { MAX_PASSWORD_LENGTH } from "../../accounts/passwords.ts";

const bad = (msg: string, errcode = "M_INVALID_PARAM") => new MatrixError(400, errcode, msg);

export function registerAdminUserRoutes(route: AdminRoute, router: Router, services: Services, users: UserAdmin): void {
  const { serverName, masEnabled } = services;
  const requireLocal = (userId: string, msg: string) => {
    if (!isLocalUser(userId, serverName)) throw bad(msg);
  };
  const target = { target: "userId" };

  const list = (v3: boolean) => async (c: Ctx) => {
    const from = intParam(c, "from", { default: 0 });
    const limit = intParam(c, "limit", { default: 100 });
    const guests = boolParam(c, "guests", true);
    // Synapse quirk kept for compatibility: under MAS, callers must say guests=false.
    if (masEnabled && guests) throw bad("The guests parameter is not supported when delegating to MAS.");
    const deactivated = v3 ? (boolParam(c, "deactivated") ?? null) : boolParam(c, "deactivated") ? null : false;
    const result = await users.list({
      from,
      limit,
      userId: stringParam(c, "user_id"),
      name: stringParam(c, "name"),
      guests,
      deactivated,
      admins: boolParam(c, "admins") ?? null,
      locked: boolParam(c, "locked", false),
      notUserTypes: stringsParam(c, "not_user_type"),
      orderBy: stringParam(c, "order_by", { allowed: USER_ORDERS, default: "name" }),
      dir: dirParam(c),
    });
    const body: Record<string, unknown> = { users: result.rows.map(userListEntry), total: result.total };
    if (from + limit < result.total) body.next_token = String(from + result.rows.length);
    return c.json(body);
  };
  route("GET", "/v2/users", "admin_users_list", list(false));
  route("GET", "/v3/users", "admin_users_list_v3", list(true));

  route("GET", "/v2/users/:userId", "admin_user_get", async (c) => {
    const userId = pathUserId(c);
    requireLocal(userId, "Can only look up local users");
    const view = await users.view(userId);
    if (!view) throw notFound("User not found");
    return c.json(view);
  }, target);

  route("PUT", "/v2/users/:userId", "admin_user_put", async (c, admin) => {
    const userId = pathUserId(c);
    const body = parseUpsert(await readJsonObject(c), services.accounts.settings.userTypes);
    requireLocal(userId, "This endpoint can only be used with local users");
    const created = await users.upsert(admin, userId, body);
    return c.json(await users.view(userId), created ? 201 : 200);
  }, target);

  route("POST", "/v1/deactivate/:userId", "admin_user_deactivate", async (c) => {
    const userId = pathUserId(c);
    requireLocal(userId, "Can only deactivate local users");
    await users.require(userId);
    const body = await readJsonObject(c, { allowEmpty: true });
    const erase = body.erase ?? false;
    if (typeof erase !== "boolean") throw badJson("Param 'erase' must be a boolean, if given");
    await users.deactivate(userId, erase);
    // No identity server bindings are kept, so there is nothing to unbind.
    return c.json({ id_server_unbind_result: "success" });
  }, target);

  route("GET", "/v1/users/:userId/joined_rooms", "admin_user_joined_rooms", async (c) => {
    const userId = pathUserId(c);
    const rooms = await users.joinedRooms(userId);
    return c.json({ joined_rooms: rooms, total: rooms.length });
  }, target);

  route("GET", "/v1/users/:userId/memberships", "admin_user_memberships", async (c) => {
    const userId = pathUserId(c);
    return c.json({ memberships: await users.memberships(userId) });
  }, target);

  route("GET", "/v1/username_available", "admin_username_available", async (c) => {
    const username = stringParam(c, "username");
    if (username === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "Missing string query parameter 'username'");
    await services.accounts.registration.checkUsername(username);
    return c.json({ available: true });
  });

  route("GET", "/v1/whois/:userId", "admin_whois", async (c) => {
    const userId = pathUserId(c);
    requireLocal(userId, "Can only whois a local user");
    return c.json(await users.whois(userId));
  }, target);
  // The spec's client endpoint: users may ask about themselves, admins about anyone.
  router.client("GET", "/admin/whois/:userId", { auth: "required", name: "client_admin_whois" }, async (c) => {
    const userId = pathUserId(c);
    if (userId !== c.get("requester").userId) requireServerAdmin(c);
    requireLocal(userId, "Can only whois a local user");
    return c.json(await users.whois(userId));
  });

  route("POST", "/v1/users/:userId/shadow_ban", "admin_user_shadow_ban", async (c) => {
    const userId = pathUserId(c);
    requireLocal(userId, "Only local users can be shadow-banned");
    await users.require(userId);
    await users.setShadowBanned(userId, true);
    return c.json({});
  }, target);
  route("DELETE", "/v1/users/:userId/shadow_ban", "admin_user_shadow_unban", async (c) => {
    const userId = pathUserId(c);
    requireLocal(userId, "Only local users can be shadow-banned");
    await users.require(userId);
    await users.setShadowBanned(userId, false);
    return c.json({});
  }, target);

  registerRatelimitRoutes(route, users, requireLocal);

  // Under MAS these belong to MAS's own admin API, and Synapse does not register them.
  if (masEnabled) return;

  route("POST", "/v1/reset_password/:userId", "admin_user_reset_password", async (c, admin) => {
    const userId = pathUserId(c);
    const body = await readJsonObject(c);
    const password = requireField(body, "new_password");
    if (typeof password !== "string" || password.length > MAX_PASSWORD_LENGTH) throw bad("Invalid parameter new_password: must be a string of at most 512 characters");
    const logout = body.logout_devices ?? true;
    if (typeof logout !== "boolean") throw bad("'logout_devices' parameter is not of type boolean");
    requireLocal(userId, "Can only reset the password of local users");
    await users.require(userId);
    await users.setPassword(admin, userId, password, logout);
    return c.json({});
  }, target);

  route("GET", "/v1/users/:userId/admin", "admin_user_is_admin", async (c) => {
    const userId = pathUserId(c);
    requireLocal(userId, "Only local users can be admins of this homeserver");
    const user = await services.stores.users.get(userId);
    return c.json({ admin: user?.admin ?? false });
  }, target);
  route("PUT", "/v1/users/:userId/admin", "admin_user_set_admin", async (c, admin) => {
    const userId = pathUserId(c);
    const body = await readJsonObject(c);
    const value = requireField(body, "admin");
    if (typeof value !== "boolean") throw badJson("Param 'admin' must be a boolean");
    requireLocal(userId, "Only local users can be admins of this homeserver");
    await users.require(userId);
    await users.setAdmin(admin, userId, value);
    return c.json({});
  }, target);

  route("POST", "/v1/users/:userId/login", "admin_user_login", async (c, admin) => {
    const userId = pathUserId(c);
    requireLocal(userId, "Only local users can be logged in as");
    await users.require(userId);
    const body = await readJsonObject(c, { allowEmpty: true });
    const validUntil = body.valid_until_ms ?? null;
    if (validUntil !== null && !Number.isSafeInteger(validUntil)) throw bad("'valid_until_ms' parameter must be an int");
    if (userId === (admin.puppetedBy ?? admin.userId)) throw bad("Cannot use admin API to login as self");
    return c.json({ access_token: await users.loginAs(admin, userId, validUntil as number | null) });
  }, target);
}

function registerRatelimitRoutes(route: AdminRoute, users: UserAdmin, requireLocal: (userId: string, msg: string) => void): void {
  const target = { target: "userId" };
  route("GET", "/v1/users/:userId/override_ratelimit", "admin_user_ratelimit_get", async (c) => {
    const userId = pathUserId(c);
    requireLocal(userId, "Can only look up local users");
    await users.require(userId);
    return c.json(await users.getRatelimit(userId));
  }, target);
  route("POST", "/v1/users/:userId/override_ratelimit", "admin_user_ratelimit_set", async (c) => {
    const userId = pathUserId(c);
    requireLocal(userId, "Only local users can be ratelimited");
    await users.require(userId);
    const body = await readJsonObject(c, { allowEmpty: true });
    const mps = nonNegativeInt(body, "messages_per_second");
    const burst = nonNegativeInt(body, "burst_count");
    return c.json(await users.setRatelimit(userId, mps, burst));
  }, target);
  route("DELETE", "/v1/users/:userId/override_ratelimit", "admin_user_ratelimit_delete", async (c) => {
    const userId = pathUserId(c);
    requireLocal(userId, "Only local users can be ratelimited");
    await users.require(userId);
    await users.deleteRatelimit(userId);
    return c.json({});
  }, target);
}

/** Synapse's message names the value ("%r parameter must be a positive int"); the field is added after it. */
function nonNegativeInt(body: Record<string, unknown>, name: string): number {
  const v = body[name] ?? 0;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw bad(`${pyRepr(v)} parameter must be a positive int (${name})`);
  }
  return v;
}

function pyRepr(v: unknown): string {
  if (typeof v === "string") return `'${v}'`;
  if (v === true) return "True";
  if (v === false) return "False";
  if (v === null) return "None";
  return JSON.stringify(v) ?? String(v);
}

/** The PUT body checks, in Synapse's order and with its messages. */
function parseUpsert(body: Record<string, unknown>, userTypes: readonly string[]): UserUpsert {
  const out: UserUpsert = { logoutDevices: true };
  if ("threepids" in body && body.threepids !== null && !Array.isArray(body.threepids)) throw bad("Param 'threepids' must be a list, if given");
  if ("external_ids" in body && body.external_ids !== null && !Array.isArray(body.external_ids)) throw bad("Param 'external_ids' must be a list, if given");
  if ("user_type" in body) {
    const t = body.user_type;
    if (t !== null && (typeof t !== "string" || !userTypes.includes(t))) throw bad("Invalid user type (user_type)");
    out.userType = t as string | null;
  }
  if ("admin" in body) {
    if (typeof body.admin !== "boolean") throw badJson("Param 'admin' must be a boolean, if given");
    out.admin = body.admin;
  }
  if (body.password !== undefined && body.password !== null) {
    if (typeof body.password !== "string" || body.password.length > MAX_PASSWORD_LENGTH) throw bad("Invalid password");
    out.password = body.password;
  }
  if ("logout_devices" in body) {
    if (typeof body.logout_devices !== "boolean") throw bad("'logout_devices' parameter is not of type boolean");
    out.logoutDevices = body.logout_devices;
  }
  if ("deactivated" in body) {
    if (typeof body.deactivated !== "boolean") throw bad("'deactivated' parameter is not of type boolean");
    out.deactivated = body.deactivated;
  }
  if ("locked" in body) {
    if (typeof body.locked !== "boolean") throw bad("'locked' parameter is not of type boolean");
    out.locked = body.locked;
  }
  if (out.deactivated && out.locked) throw bad("An user can't be deactivated and locked");
  if ("displayname" in body && body.displayname !== null) {
    if (typeof body.displayname !== "string") throw bad("Param 'displayname' must be a string, if given");
    out.displayname = body.displayname;
  }
  if ("avatar_url" in body && body.avatar_url !== null) {
    if (typeof body.avatar_url !== "string") throw bad("Param 'avatar_url' must be a string, if given");
    out.avatarUrl = body.avatar_url;
  }
  return out;
}

