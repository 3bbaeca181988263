import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { parseBody } from "../../http/body.ts";
import { MatrixError, missingParam } from "../../http/errors.ts";
import { parseSyncToken } from "../../sync/token.ts";
import { keysChanges } from "../../e2ee/sync.ts";

const Signatures = v.record(v.string(), v.record(v.string(), v.string()));

/** A one-time or fallback key: a bare key (curve25519) or a signed key object. */
const KeyObject = v.union([v.string(), v.looseObject({ key: v.string(), signatures: Signatures })]);
const KeyMap = v.record(v.string(), KeyObject);

/** Unknown fields are kept: other clients verify the device's signature over the whole object. */
const DeviceKeys = v.looseObject({
  user_id: v.string(),
  device_id: v.string(),
  algorithms: v.array(v.string()),
  keys: v.record(v.string(), v.string()),
  signatures: Signatures,
});

const UploadBody = v.looseObject({
  device_keys: v.optional(DeviceKeys),
  one_time_keys: v.optional(KeyMap),
  fallback_keys: v.optional(KeyMap),
  "org.matrix.msc2732.fallback_keys": v.optional(KeyMap),
});

const QueryBody = v.looseObject({
  timeout: v.optional(v.number()),
  device_keys: v.record(v.string(), v.array(v.string())),
});

const ClaimBody = v.looseObject({
  timeout: v.optional(v.number()),
  one_time_keys: v.record(v.string(), v.record(v.string(), v.string())),
});

/** Device keys (spec: End-to-end encryption): /keys/upload, /keys/query, /keys/claim, /keys/changes. */
export function registerKeysRoutes(router: Router, services: Services): void {
  const e2ee = services.e2ee;

  router.client("POST", "/keys/upload", { auth: "required", name: "keys_upload" }, async (c) => {
    const requester = c.get("requester");
    const body = await parseBody(c, UploadBody);
    if (requester.deviceId === null) {
      throw new MatrixError(400, "M_UNKNOWN", "To upload keys, you must pass device_id when authenticating");
    }
    const result = await e2ee.keys.upload(requester.userId, requester.deviceId, {
      deviceKeys: body.device_keys,
      oneTimeKeys: body.one_time_keys,
      fallbackKeys: body.fallback_keys ?? body["org.matrix.msc2732.fallback_keys"],
    });
    return c.json(result);
  });

  router.client("POST", "/keys/query", { auth: "required", name: "keys_query" }, async (c) => {
    const body = await parseBody(c, QueryBody);
    return c.json(await e2ee.keys.query(c.get("requester").userId, body.device_keys));
  });

  router.client("POST", "/keys/claim", { auth: "required", name: "keys_claim" }, async (c) => {
    const body = await parseBody(c, ClaimBody);
    return c.json(await e2ee.keys.claim(body.one_time_keys));
  });

  router.client("GET", "/keys/changes", { auth: "required", name: "keys_changes" }, async (c) => {
    const fromText = c.req.query("from");
    if (!fromText) throw missingParam("from");
    const from = parseSyncToken(fromText);
    const toText = c.req.query("to");
    let to: { deviceLists: number; events: number };
    if (toText) {
      const parsed = parseSyncToken(toText);
      to = { deviceLists: parsed.device_lists, events: parsed.events };
    } else {
      to = { deviceLists: await e2ee.deviceLists.currentPosition(), events: Number.MAX_SAFE_INTEGER };
    }
    const result = await keysChanges(e2ee, c.get("requester").userId, { deviceLists: from.device_lists, events: from.events }, to);
    return c.json(result);
  });
}
