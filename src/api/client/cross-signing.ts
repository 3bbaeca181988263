import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { clientIp } from "../../http/context.ts";
import { parseBody, readJsonObject } from "../../http/body.ts";
import { MatrixError } from "../../http/errors.ts";
import { UiaIncompleteError } from "../../accounts/uia.ts";
import type { CrossSigningUpload } from "../../e2ee/cross-signing.ts";
import type { Json } from "../../e2ee/ports.ts";

/** Unknown fields are kept: signatures cover the whole object. */
const CrossSigningKey = v.looseObject({
  user_id: v.string(),
  usage: v.array(v.string()),
  keys: v.record(v.string(), v.string()),
  signatures: v.optional(v.record(v.string(), v.record(v.string(), v.string()))),
});

const UploadBody = v.looseObject({
  master_key: v.optional(CrossSigningKey),
  self_signing_key: v.optional(CrossSigningKey),
  user_signing_key: v.optional(CrossSigningKey),
  auth: v.optional(v.unknown()),
});

const SignaturesBody = v.record(v.string(), v.record(v.string(), v.looseObject({})));

/** Cross-signing: POST /keys/device_signing/upload and POST /keys/signatures/upload. */
export function registerCrossSigningRoutes(router: Router, services: Services): void {
  const e2ee = services.e2ee;

  router.client("POST", "/keys/device_signing/upload", { auth: "required", name: "keys_device_signing_upload" }, async (c) => {
    const requester = c.get("requester");
    const body = await parseBody(c, UploadBody);
    const { auth, ...clientdict } = body;
    const keys: CrossSigningUpload = {};
    if (body.master_key) keys.master_key = body.master_key as Json;
    if (body.self_signing_key) keys.self_signing_key = body.self_signing_key as Json;
    if (body.user_signing_key) keys.user_signing_key = body.user_signing_key as Json;

    const need = await e2ee.crossSigning.uploadRequirement(requester.userId, keys);
    if (need === "unchanged") return c.json({});
    if (need === "uia") {
      if (services.mas) {
        // With delegated auth there is no UIA: MAS approves a reset and the client retries.
        const url = `${(await services.mas.metadata.get()).account_management_uri}?action=org.matrix.cross_signing_reset`;
        throw new UiaIncompleteError("dummy", {
          session: "dummy",
          flows: [{ stages: ["m.oauth"] }, { stages: ["org.matrix.cross_signing_reset"] }],
          params: { "m.oauth": { url }, "org.matrix.cross_signing_reset": { url } },
          msg: `To reset your end-to-end encryption cross-signing identity, you first need to approve it at ${url} and then try again.`,
        });
      }
      await services.accounts.reauth.validate(requester, clientdict, auth, { uri: c.req.path, method: c.req.method, clientIp: clientIp(c) });
    }
    const devices = await services.stores.devices.listForUser(requester.userId);
    await e2ee.crossSigning.upload(requester.userId, keys, devices.map((d) => d.deviceId));
    return c.json({});
  });

  router.client("POST", "/keys/signatures/upload", { auth: "required", name: "keys_signatures_upload" }, async (c) => {
    const raw = await readJsonObject(c);
    const result = v.safeParse(SignaturesBody, raw);
    if (!result.success) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid parameter: expected a map of user id to key id to signed object");
    return c.json(await e2ee.crossSigning.uploadSignatures(c.get("requester").userId, result.output as Record<string, Record<string, Json>>));
  });
}
