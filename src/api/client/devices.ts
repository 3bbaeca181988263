import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { parseBody, readJsonObject, validate } from "../../http/body.ts";
import { notFound, unrecognized } from "../../http/errors.ts";
import { clientIp } from "../../http/context.ts";
import { deviceView } from "../../accounts/devices.ts";
import { pathParam, requestInfo, requireNonGuest, userAgent } from "./account-common.ts";

const putBody = v.object({ display_name: v.optional(v.nullable(v.string())) });
const deleteBody = v.object({ auth: v.optional(v.unknown()) });
const deleteManyBody = v.object({
  auth: v.optional(v.unknown()),
  devices: v.pipe(v.array(v.string()), v.maxLength(10_000)),
});

/** Device management (spec "Device Management"). Deleting a device ends its tokens. */
export function registerDeviceRoutes(router: Router, services: Services): void {
  const { devices, reauth, lastSeen } = services.accounts;

  // Every authenticated request updates its device's last-seen columns (batched in memory).
  router.authenticated.add((requester, c) => lastSeen.record(requester, clientIp(c), userAgent(c)));

  router.client("GET", "/devices", { auth: "required", name: "devices" }, async (c) => {
    const r = c.get("requester");
    return c.json({ devices: (await devices.list(r.userId)).map(deviceView) });
  });

  router.client("GET", "/devices/:deviceId", { auth: "required", name: "device" }, async (c) => {
    const device = await devices.get(c.get("requester").userId, pathParam(c, "deviceId"));
    if (!device) throw notFound("No device found");
    return c.json(deviceView(device));
  });

  router.client("PUT", "/devices/:deviceId", { auth: "required", name: "update_device" }, async (c) => {
    const body = await parseBody(c, putBody);
    await devices.setDisplayName(c.get("requester").userId, pathParam(c, "deviceId"), body.display_name ?? null);
    return c.json({});
  });

  // With MAS, devices are deleted through MAS (behaviour spec §1.8).
  if (services.masEnabled) {
    // Synapse authenticates first, then refuses everyone but application services (MSC4190).
    router.client("DELETE", "/devices/:deviceId", { auth: "required", name: "delete_device" }, () => {
      throw unrecognized();
    });
    return;
  }

  router.client("DELETE", "/devices/:deviceId", { auth: "required", name: "delete_device" }, async (c) => {
    const requester = c.get("requester");
    requireNonGuest(requester);
    // The body is optional: a client without one gets the UIA challenge.
    const body = validate(deleteBody, await readJsonObject(c, { allowEmpty: true }));
    const { auth, ...clientdict } = body;
    // `ui_auth.session_timeout` may spare a recently re-authenticated token the prompt (Synapse's can_skip_ui_auth).
    await reauth.validate(requester, clientdict, auth, requestInfo(c), { canSkip: true });
    await devices.delete(requester.userId, [pathParam(c, "deviceId")]);
    return c.json({});
  });

  router.client("POST", "/delete_devices", { auth: "required", name: "delete_devices" }, async (c) => {
    const requester = c.get("requester");
    requireNonGuest(requester);
    const body = await parseBody(c, deleteManyBody);
    const { auth, ...clientdict } = body;
    const { params } = await reauth.validate(requester, clientdict, auth, requestInfo(c), { canSkip: true });
    // The list the session started with is the one that was authorised.
    const ids = Array.isArray(params.devices) ? params.devices.filter((d): d is string => typeof d === "string") : body.devices;
    await devices.delete(requester.userId, ids);
    return c.json({});
  });
}
