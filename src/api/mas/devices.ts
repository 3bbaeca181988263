import * as v from "valibot";
import type { MasAccounts } from "../../mas/accounts.ts";
import { parseMasBody } from "./auth.ts";
import type { MasRoute } from "./routes.ts";

export function registerMasDeviceRoutes(route: MasRoute, accounts: MasAccounts): void {
  route("POST", "upsert_device", async (c) => {
    const body = await parseMasBody(
      c,
      v.object({ localpart: v.string(), device_id: v.string(), display_name: v.nullish(v.string()) }),
    );
    const created = await accounts.upsertDevice(body.localpart, body.device_id, body.display_name ?? null);
    return c.json({}, created ? 201 : 200);
  });

  route("POST", "delete_device", async (c) => {
    const body = await parseMasBody(c, v.object({ localpart: v.string(), device_id: v.string() }));
    await accounts.deleteDevice(body.localpart, body.device_id);
    return c.body(null, 204);
  });

  route("POST", "update_device_display_name", async (c) => {
    const body = await parseMasBody(
      c,
      v.object({ localpart: v.string(), device_id: v.string(), display_name: v.string() }),
    );
    await accounts.updateDeviceDisplayName(body.localpart, body.device_id, body.display_name);
    return c.json({});
  });

  route("POST", "sync_devices", async (c) => {
    const body = await parseMasBody(c, v.object({ localpart: v.string(), devices: v.array(v.string()) }));
    await accounts.syncDevices(body.localpart, body.devices);
    return c.json({});
  });
}
