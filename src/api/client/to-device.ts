import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { parseBody } from "../../http/body.ts";

const SendBody = v.looseObject({
  messages: v.record(v.string(), v.record(v.string(), v.record(v.string(), v.unknown()))),
});

/** Send-to-device messaging: PUT /sendToDevice/{eventType}/{txnId}. */
export function registerToDeviceRoutes(router: Router, services: Services): void {
  router.client("PUT", "/sendToDevice/:eventType/:txnId", { auth: "required", name: "send_to_device" }, async (c) => {
    const requester = c.get("requester");
    const body = await parseBody(c, SendBody);
    await services.e2ee.toDevice.send(
      { userId: requester.userId, deviceId: requester.deviceId, tokenId: requester.tokenId },
      c.req.param("eventType") ?? "",
      c.req.param("txnId") ?? "",
      body.messages,
    );
    return c.json({});
  });
}
