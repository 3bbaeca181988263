import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Ctx } from "../../http/context.ts";
import type { Services } from "../../services.ts";
import { parseBody } from "../../http/body.ts";
import { missingParam, notFound } from "../../http/errors.ts";
import type { KeyBackupData, RoomsKeyBackup } from "../../e2ee/key-backup.ts";

const JsonObject = v.record(v.string(), v.unknown());
const NonNegativeInt = v.pipe(v.number(), v.integer(), v.minValue(0));

const KeyData = v.looseObject({
  first_message_index: NonNegativeInt,
  forwarded_count: NonNegativeInt,
  is_verified: v.boolean(),
  session_data: JsonObject,
});
const RoomKeys = v.looseObject({ sessions: v.record(v.string(), KeyData) });

const NewVersionBody = v.looseObject({ algorithm: v.string(), auth_data: JsonObject });
const UpdateVersionBody = v.looseObject({ algorithm: v.string(), auth_data: JsonObject, version: v.optional(v.string()) });
const AllKeysBody = v.looseObject({ rooms: v.record(v.string(), RoomKeys) });

/** Server-side key backup: /room_keys/version[/{version}] and /room_keys/keys[/{roomId}[/{sessionId}]]. */
export function registerKeyBackupRoutes(router: Router, services: Services): void {
  const backup = services.e2ee.keyBackup;
  const user = (c: Ctx) => c.get("requester").userId;
  const param = (c: Ctx, name: string): string => c.req.param(name) ?? "";
  const version = (c: Ctx) => {
    const q = c.req.query("version");
    if (q === undefined) throw missingParam("version");
    return q;
  };
  const keyData = (k: v.InferOutput<typeof KeyData>): KeyBackupData => ({
    first_message_index: k.first_message_index,
    forwarded_count: k.forwarded_count,
    is_verified: k.is_verified,
    session_data: k.session_data,
  });
  const rooms = (r: Record<string, v.InferOutput<typeof RoomKeys>>): RoomsKeyBackup =>
    Object.fromEntries(
      Object.entries(r).map(([roomId, { sessions }]) => [
        roomId,
        { sessions: Object.fromEntries(Object.entries(sessions).map(([s, k]) => [s, keyData(k)])) },
      ]),
    );

  router.client("POST", "/room_keys/version", { auth: "required", name: "room_keys_new_version" }, async (c) => {
    const body = await parseBody(c, NewVersionBody);
    return c.json({ version: await backup.createVersion(user(c), body.algorithm, body.auth_data) });
  });

  router.client("GET", "/room_keys/version", { auth: "required", name: "room_keys_current_version" }, async (c) =>
    c.json(await backup.versionInfo(user(c))),
  );

  router.client("GET", "/room_keys/version/:version", { auth: "required", name: "room_keys_version" }, async (c) =>
    c.json(await backup.versionInfo(user(c), param(c, "version"))),
  );

  router.client("PUT", "/room_keys/version/:version", { auth: "required", name: "room_keys_update_version" }, async (c) => {
    const body = await parseBody(c, UpdateVersionBody);
    await backup.updateVersion(user(c), param(c, "version"), body);
    return c.json({});
  });

  router.client("DELETE", "/room_keys/version/:version", { auth: "required", name: "room_keys_delete_version" }, async (c) => {
    await backup.deleteVersion(user(c), param(c, "version"));
    return c.json({});
  });

  router.client("PUT", "/room_keys/keys", { auth: "required", name: "room_keys_put" }, async (c) => {
    const v_ = version(c);
    const body = await parseBody(c, AllKeysBody);
    return c.json(await backup.putKeys(user(c), v_, rooms(body.rooms)));
  });

  router.client("PUT", "/room_keys/keys/:roomId", { auth: "required", name: "room_keys_put_room" }, async (c) => {
    const v_ = version(c);
    const body = await parseBody(c, RoomKeys);
    return c.json(await backup.putKeys(user(c), v_, rooms({ [param(c, "roomId")]: body })));
  });

  router.client("PUT", "/room_keys/keys/:roomId/:sessionId", { auth: "required", name: "room_keys_put_session" }, async (c) => {
    const v_ = version(c);
    const body = await parseBody(c, KeyData);
    const roomId = param(c, "roomId");
    return c.json(await backup.putKeys(user(c), v_, { [roomId]: { sessions: { [param(c, "sessionId")]: keyData(body) } } }));
  });

  router.client("GET", "/room_keys/keys", { auth: "required", name: "room_keys_get" }, async (c) =>
    c.json({ rooms: await backup.getKeys(user(c), version(c)) }),
  );

  router.client("GET", "/room_keys/keys/:roomId", { auth: "required", name: "room_keys_get_room" }, async (c) => {
    const roomId = param(c, "roomId");
    const found = await backup.getKeys(user(c), version(c), roomId);
    // An empty room is a valid answer, not an error.
    return c.json(found[roomId] ?? { sessions: {} });
  });

  router.client("GET", "/room_keys/keys/:roomId/:sessionId", { auth: "required", name: "room_keys_get_session" }, async (c) => {
    const roomId = param(c, "roomId");
    const sessionId = param(c, "sessionId");
    const found = (await backup.getKeys(user(c), version(c), roomId, sessionId))[roomId]?.sessions[sessionId];
    if (!found) throw notFound("No room_keys found");
    return c.json(found);
  });

  router.client("DELETE", "/room_keys/keys", { auth: "required", name: "room_keys_delete" }, async (c) =>
    c.json(await backup.deleteKeys(user(c), version(c))),
  );

  router.client("DELETE", "/room_keys/keys/:roomId", { auth: "required", name: "room_keys_delete_room" }, async (c) =>
    c.json(await backup.deleteKeys(user(c), version(c), param(c, "roomId"))),
  );

  router.client("DELETE", "/room_keys/keys/:roomId/:sessionId", { auth: "required", name: "room_keys_delete_session" }, async (c) =>
    c.json(await backup.deleteKeys(user(c), version(c), param(c, "roomId"), param(c, "sessionId"))),
  );
}
