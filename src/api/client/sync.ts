import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import { invalidParam } from "../../http/errors.ts";
import { txnScopeOf } from "../../rooms/client-format.ts";
import { isPresenceState } from "../../ephemeral/presence.ts";

/** GET /sync (spec sync.yaml). */
export function registerSyncRoutes(router: Router, services: Services): void {
  router.client("GET", "/sync", { auth: "required", name: "sync" }, async (c) => {
    const requester = c.get("requester");
    const q = (name: string) => c.req.query(name);
    const timeoutText = q("timeout");
    let timeoutMs = 0;
    if (timeoutText !== undefined && timeoutText !== "") {
      if (!/^\d{1,12}$/.test(timeoutText)) throw invalidParam("timeout must be a non-negative integer");
      timeoutMs = Number(timeoutText);
    }
    const fullStateText = q("full_state");
    if (fullStateText !== undefined && fullStateText !== "true" && fullStateText !== "false") {
      throw invalidParam("full_state must be 'true' or 'false'");
    }
    const setPresence = q("set_presence") ?? "online";
    if (!isPresenceState(setPresence)) throw invalidParam("set_presence must be one of online, offline, unavailable");
    const filter = await services.sync.filters.resolve(requester.userId, q("filter"));
    const body = await services.sync.handler.sync({
      userId: requester.userId,
      deviceId: requester.deviceId,
      txnScope: txnScopeOf(requester),
      since: q("since") || undefined,
      timeoutMs,
      fullState: fullStateText === "true",
      setPresence,
      filter,
      signal: c.req.raw.signal,
    });
    return c.json(body);
  });
}
