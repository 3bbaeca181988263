// A user's devices, as the admin sees them (docs/admin_api/user_admin_api.md, "User devices").
import type { Services } from "../../services.ts";
import { MatrixError, notFound } from "../../http/errors.ts";
import { readJsonObject } from "../../http/body.ts";
import type { AdminRoute } from "./access.ts";
import { isLocalUser, pathUserId, requireField } from "./params.ts";
import { adminDeviceView } from "../../admin/users.ts";
import { MAX_DEVICE_ID_LENGTH } from "../../accounts/sessions.ts";

const bad = (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg);

export function registerAdminDeviceRoutes(route: AdminRoute, services: Services): void {
  const devices = services.accounts.devices;
  const target = { target: "userId" };
  /** The local user the path names; Synapse's checks and messages. */
  const localUser = async (userId: string, msg = "Can only lookup local users") => {
    if (!isLocalUser(userId, services.serverName)) throw bad(msg);
    if (!(await services.stores.users.get(userId))) throw notFound("Unknown user");
  };

  route("GET", "/v2/users/:userId/devices", "admin_user_devices", async (c) => {
    const userId = pathUserId(c);
    await localUser(userId);
    const rows = await devices.list(userId);
    return c.json({ devices: rows.map(adminDeviceView), total: rows.length });
  }, target);

  route("POST", "/v2/users/:userId/devices", "admin_user_device_create", async (c) => {
    const userId = pathUserId(c);
    await localUser(userId, "Can only create devices for local users");
    const body = await readJsonObject(c);
    const deviceId = body.device_id;
    if (!deviceId) throw new MatrixError(400, "M_MISSING_PARAM", "Missing device_id");
    if (typeof deviceId !== "string") throw bad("device_id must be a string");
    if (deviceId.length > MAX_DEVICE_ID_LENGTH) throw bad(`device_id is too long (max ${MAX_DEVICE_ID_LENGTH})`);
    await services.stores.devices.upsert(userId, deviceId, null, services.clock.now());
    return c.json({}, 201);
  }, target);

  route("GET", "/v2/users/:userId/devices/:deviceId", "admin_user_device_get", async (c) => {
    const userId = pathUserId(c);
    await localUser(userId);
    const row = await devices.get(userId, c.req.param("deviceId") ?? "");
    if (!row) throw notFound("No device found");
    return c.json(adminDeviceView(row));
  }, target);

  route("PUT", "/v2/users/:userId/devices/:deviceId", "admin_user_device_update", async (c) => {
    const userId = pathUserId(c);
    await localUser(userId);
    const body = await readJsonObject(c, { allowEmpty: true });
    const name = body.display_name;
    if (name !== undefined) {
      if (name !== null && typeof name !== "string") throw bad("Param 'display_name' must be a string, if given");
      await devices.setDisplayName(userId, c.req.param("deviceId") ?? "", name);
    }
    return c.json({});
  }, target);

  route("DELETE", "/v2/users/:userId/devices/:deviceId", "admin_user_device_delete", async (c) => {
    const userId = pathUserId(c);
    await localUser(userId);
    await devices.delete(userId, [c.req.param("deviceId") ?? ""]);
    return c.json({});
  }, target);

  route("POST", "/v2/users/:userId/delete_devices", "admin_user_devices_delete", async (c) => {
    const userId = pathUserId(c);
    await localUser(userId);
    const body = await readJsonObject(c);
    const ids = requireField(body, "devices");
    if (!Array.isArray(ids) || !ids.every((d) => typeof d === "string")) throw bad("Param 'devices' must be a list of device ids");
    await devices.delete(userId, ids as string[]);
    return c.json({});
  }, target);
}
