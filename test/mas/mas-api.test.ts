import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { capturedLogs } from "../support/logs.ts";
import { startMasSetup, type MasTestSetup } from "./harness.ts";

const ENDPOINTS: Array<["GET" | "POST", string]> = [
  ["GET", "query_user?localpart=alice"],
  ["POST", "provision_user"],
  ["GET", "is_localpart_available?localpart=alice"],
  ["POST", "delete_user"],
  ["POST", "reactivate_user"],
  ["POST", "set_displayname"],
  ["POST", "unset_displayname"],
  ["POST", "upsert_device"],
  ["POST", "delete_device"],
  ["POST", "update_device_display_name"],
  ["POST", "sync_devices"],
  ["POST", "allow_cross_signing_reset"],
];

describe("/_synapse/mas/*", () => {
  let s: MasTestSetup;
  const api = (method: string, path: string, body?: unknown) => s.masApi(method, path, body);
  const query = async (localpart: string) => (await api("GET", `query_user?localpart=${localpart}`)).body;
  beforeAll(async () => {
    s = await startMasSetup();
  });
  afterAll(() => s.stop());

  describe("authentication by the shared secret only", () => {
    test("no token: 401 M_MISSING_TOKEN; a malformed header: 401 M_MISSING_TOKEN", async () => {
      for (const [method, path] of ENDPOINTS) {
        const none = await s.server.request(method, `/_synapse/mas/${path}`, { body: method === "POST" ? {} : undefined });
        expect(none.status).toBe(401);
        expect(none.body.errcode).toBe("M_MISSING_TOKEN");
      }
      const bad = await s.server.request("GET", "/_synapse/mas/query_user?localpart=a", { headers: { authorization: "Basic shared_secret" } });
      expect(bad.status).toBe(401);
      expect(bad.body.errcode).toBe("M_MISSING_TOKEN");
    });

    test("any other token, even a valid user token: 403 M_UNKNOWN", async () => {
      const userToken = await s.userWithToken("tokenholder");
      for (const token of ["wrong", "shared_secreT", "shared_secret_", userToken]) {
        for (const [method, path] of ENDPOINTS) {
          const res = await s.server.request(method, `/_synapse/mas/${path}`, { token, body: method === "POST" ? { localpart: "tokenholder" } : undefined });
          expect(res.status).toBe(403);
          expect(res.body).toEqual({ errcode: "M_UNKNOWN", error: "This endpoint must only be called by MAS" });
        }
      }
      // Nothing was changed by the refused calls.
      expect((await query("tokenholder")).is_deactivated).toBe(false);
    });

    test("the secret is accepted as the access_token query parameter too", async () => {
      const res = await s.server.request("GET", "/_synapse/mas/is_localpart_available?localpart=freeone&access_token=shared_secret");
      expect(res.status).toBe(200);
    });

    test("one method per endpoint: others are 405; HEAD works like GET", async () => {
      const res = await s.server.request("POST", "/_synapse/mas/query_user", { token: "shared_secret", body: {} });
      expect(res.status).toBe(405);
      expect(res.body.errcode).toBe("M_UNRECOGNIZED");
      expect((await s.server.request("GET", "/_synapse/mas/provision_user", { token: "shared_secret" })).status).toBe(405);
      const head = await s.server.request("HEAD", "/_synapse/mas/is_localpart_available?localpart=freeone", { token: "shared_secret" });
      expect(head.status).toBe(200);
    });
  });

  describe("users", () => {
    test("provision_user creates (201) then updates (200); query_user shows the result", async () => {
      const created = await api("POST", "provision_user", { localpart: "alice", set_avatar_url: "mxc://x/a", set_emails: ["Alice@Example.COM"] });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({});
      expect(await query("alice")).toEqual({
        user_id: "@alice:test.local",
        display_name: "alice",
        avatar_url: "mxc://x/a",
        is_suspended: false,
        is_deactivated: false,
      });
      const updated = await api("POST", "provision_user", { localpart: "alice", set_displayname: "  Alice A.  ", unset_avatar_url: true });
      expect(updated.status).toBe(200);
      expect(await query("alice")).toMatchObject({ display_name: "Alice A.", avatar_url: null });
      await api("POST", "provision_user", { localpart: "alice", unset_displayname: true });
      expect((await query("alice")).display_name).toBeNull();
      await api("POST", "provision_user", { localpart: "alice", set_displayname: "" });
      expect((await query("alice")).display_name).toBeNull();
    });

    test("provision_user with a display name on create uses it", async () => {
      expect((await api("POST", "provision_user", { localpart: "named", set_displayname: "Named" })).status).toBe(201);
      expect((await query("named")).display_name).toBe("Named");
    });

    test("provision_user: locked true/false/absent", async () => {
      expect((await api("POST", "provision_user", { localpart: "lockme", locked: true })).status).toBe(201);
      expect((await s.server.hs.services.stores.users.get("@lockme:test.local"))!.locked).toBe(true);
      expect((await api("POST", "provision_user", { localpart: "lockme", locked: false })).status).toBe(200);
      expect((await s.server.hs.services.stores.users.get("@lockme:test.local"))!.locked).toBe(false);
      await api("POST", "provision_user", { localpart: "lockme", locked: true });
      await api("POST", "provision_user", { localpart: "lockme" });
      expect((await s.server.hs.services.stores.users.get("@lockme:test.local"))!.locked).toBe(true);
    });

    test("provision_user refuses bad localparts, set+unset pairs and wrong types", async () => {
      for (const localpart of ["", "@alice:test", "alice@domain.com", "alice:test", "alice space", "alice#hash", "a".repeat(1000), "Upper"]) {
        const res = await api("POST", "provision_user", { localpart });
        expect(res.status).toBe(400);
        expect(res.body.errcode).toBe("M_INVALID_USERNAME");
      }
      expect((await api("POST", "provision_user", {})).body.errcode).toBe("M_MISSING_PARAM");
      for (const body of [
        { localpart: "pairs", set_displayname: "x", unset_displayname: false },
        { localpart: "pairs", set_avatar_url: "mxc://a/b", unset_avatar_url: true },
        { localpart: "pairs", set_emails: [], unset_emails: false },
      ]) {
        const res = await api("POST", "provision_user", body);
        expect(res.status).toBe(400);
        expect(res.body.errcode).toBe("M_INVALID_PARAM");
      }
      for (const body of [
        { localpart: 123 },
        { localpart: "types", set_displayname: 123 },
        { localpart: "types", set_emails: "x" },
        { localpart: "types", unset_displayname: "no" },
        { localpart: "types", locked: "true" },
        { localpart: "types", locked: null },
      ]) {
        const res = await api("POST", "provision_user", body);
        expect(res.status).toBe(400);
        expect(res.body.errcode).toBe("M_BAD_JSON");
      }
      expect((await api("POST", "provision_user", { localpart: "types", set_displayname: "x".repeat(257) })).status).toBe(400);
      expect((await api("POST", "provision_user", { localpart: "types", set_emails: ["not-an-email"] })).status).toBe(400);
      expect((await api("GET", "query_user?localpart=types")).status).toBe(404);
      expect((await api("GET", "query_user?localpart=pairs")).status).toBe(404);
    });

    test("bodies: invalid JSON is M_NOT_JSON, a non-object M_BAD_JSON, unknown fields ignored", async () => {
      const notJson = await s.server.request("POST", "/_synapse/mas/provision_user", { token: "shared_secret", body: "{nope" });
      expect(notJson.body.errcode).toBe("M_NOT_JSON");
      const array = await s.server.request("POST", "/_synapse/mas/provision_user", { token: "shared_secret", body: "[]" });
      expect(array.body.errcode).toBe("M_BAD_JSON");
      expect((await api("POST", "provision_user", { localpart: "extra", whatever: { a: 1 } })).status).toBe(201);
    });

    test("query_user: unknown user 404, missing localpart 400", async () => {
      const unknown = await api("GET", "query_user?localpart=nobody");
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ errcode: "M_NOT_FOUND", error: "User not found" });
      const missing = await api("GET", "query_user");
      expect(missing.status).toBe(400);
      expect(missing.body.errcode).toBe("M_MISSING_PARAM");
    });

    test("is_localpart_available: free, in use (ignoring case), invalid, missing", async () => {
      expect(await api("GET", "is_localpart_available?localpart=free.name")).toMatchObject({ status: 200, body: {} });
      expect((await api("GET", "is_localpart_available?localpart=alice")).body.errcode).toBe("M_USER_IN_USE");
      await s.server.hs.services.stores.users.create({ userId: "@BOB:test.local", createdTs: 0 });
      expect((await api("GET", "is_localpart_available?localpart=bob")).body.errcode).toBe("M_USER_IN_USE");
      for (const lp of ["0", "12345", "a".repeat(1000), "_under", "UPPER", "sp%20ace", "hash%23", "at%40", "colon%3A", "%C3%A9"]) {
        const res = await api("GET", `is_localpart_available?localpart=${lp}`);
        expect(res.status).toBe(400);
        expect(res.body.errcode).toBe("M_INVALID_USERNAME");
      }
      const empty = await api("GET", "is_localpart_available?localpart=");
      expect(empty.body.errcode).toBe("M_INVALID_USERNAME");
      const missing = await api("GET", "is_localpart_available");
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({ errcode: "M_UNKNOWN", error: "Missing localpart" });
    });

    test("delete_user deactivates, removes devices and tokens; erase drops the profile; idempotent", async () => {
      await api("POST", "provision_user", { localpart: "doomed", set_displayname: "Doomed", set_avatar_url: "mxc://a/b" });
      await api("POST", "upsert_device", { localpart: "doomed", device_id: "D1" });
      const local = await s.server.hs.services.accessTokens.issue("@doomed:test.local", "D1");
      expect((await api("POST", "delete_user", { localpart: "doomed", erase: false })).status).toBe(200);
      expect(await query("doomed")).toMatchObject({ is_deactivated: true, display_name: "Doomed" });
      expect(await s.server.hs.services.stores.devices.listForUser("@doomed:test.local")).toEqual([]);
      expect(await s.server.hs.services.stores.accessTokens.lookup(hash(local))).toBeUndefined();
      expect((await api("POST", "delete_user", { localpart: "doomed", erase: false })).status).toBe(200);
      expect((await api("POST", "delete_user", { localpart: "doomed", erase: true })).status).toBe(200);
      expect(await query("doomed")).toMatchObject({ is_deactivated: true, display_name: null, avatar_url: null });
    });

    test("erasure shows in the admin API (for a token with the admin scope), and reactivation clears it", async () => {
      const admin = await s.userWithToken("adminuser", { scope: "urn:matrix:client:api:* urn:synapse:admin:* urn:matrix:client:device:DEVICE1" });
      const plain = await s.userWithToken("plainuser");
      await api("POST", "provision_user", { localpart: "erased" });
      await api("POST", "delete_user", { localpart: "erased", erase: true });
      const view = await s.server.request("GET", "/_synapse/admin/v2/users/@erased:test.local", { token: admin });
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ name: "@erased:test.local", deactivated: true, erased: true });
      expect((await s.server.request("GET", "/_synapse/admin/v2/users/@erased:test.local", { token: plain })).status).toBe(403);
      await api("POST", "reactivate_user", { localpart: "erased" });
      const after = await s.server.request("GET", "/_synapse/admin/v2/users/@erased:test.local", { token: admin });
      expect(after.body).toMatchObject({ deactivated: false, erased: false });
    });

    test("delete_user: both fields required, erase a real bool, unknown user 404, extra fields ignored", async () => {
      await api("POST", "provision_user", { localpart: "strict" });
      for (const erase of ["true", 1, "false", 0, {}, [], null]) {
        expect((await api("POST", "delete_user", { localpart: "strict", erase })).status).toBe(400);
      }
      expect((await api("POST", "delete_user", { localpart: "strict" })).body.errcode).toBe("M_MISSING_PARAM");
      expect((await api("POST", "delete_user", {})).status).toBe(400);
      expect((await api("POST", "delete_user", { localpart: "nobody", erase: false })).status).toBe(404);
      expect((await query("strict")).is_deactivated).toBe(false);
      expect((await api("POST", "delete_user", { localpart: "strict", erase: false, extra: 1 })).status).toBe(200);
    });

    test("reactivate_user clears deactivation; idempotent; unknown 404; missing 400", async () => {
      await api("POST", "provision_user", { localpart: "phoenix" });
      await api("POST", "delete_user", { localpart: "phoenix", erase: true });
      expect((await api("POST", "reactivate_user", { localpart: "phoenix" })).status).toBe(200);
      expect((await query("phoenix")).is_deactivated).toBe(false);
      expect((await api("POST", "reactivate_user", { localpart: "phoenix", extra: true })).status).toBe(200);
      expect((await api("POST", "reactivate_user", { localpart: "nobody" })).status).toBe(404);
      expect((await api("POST", "reactivate_user", {})).status).toBe(400);
    });

    test("set_displayname / unset_displayname", async () => {
      await api("POST", "provision_user", { localpart: "renamed" });
      expect((await api("POST", "set_displayname", { localpart: "renamed", displayname: "New 🎉\t\"<b>\"" })).status).toBe(200);
      expect((await query("renamed")).display_name).toBe("New 🎉\t\"<b>\"");
      for (const displayname of [1, true, [], {}, null]) {
        expect((await api("POST", "set_displayname", { localpart: "renamed", displayname })).status).toBe(400);
      }
      expect((await api("POST", "set_displayname", { localpart: "renamed", displayname: "x".repeat(1000) })).status).toBe(400);
      expect((await api("POST", "set_displayname", { localpart: "renamed" })).body.errcode).toBe("M_MISSING_PARAM");
      expect((await api("POST", "set_displayname", { localpart: "nobody", displayname: "x" })).status).toBe(404);
      expect((await api("POST", "unset_displayname", { localpart: "renamed" })).status).toBe(200);
      expect((await query("renamed")).display_name).toBeNull();
      expect((await api("POST", "unset_displayname", { localpart: "renamed" })).status).toBe(200);
      expect((await api("POST", "unset_displayname", { localpart: 5 })).status).toBe(400);
      expect((await api("POST", "unset_displayname", { localpart: "nobody" })).status).toBe(404);
    });

    test("allow_cross_signing_reset answers 200 for a known user (warning when there is no master key), 404 otherwise", async () => {
      await api("POST", "provision_user", { localpart: "xsign" });
      capturedLogs.length = 0;
      expect((await api("POST", "allow_cross_signing_reset", { localpart: "xsign", extra: 1 })).status).toBe(200);
      expect(capturedLogs.some((r) => r.level === "warning" && r.properties.userId === "@xsign:test.local")).toBe(true);
      expect((await api("POST", "allow_cross_signing_reset", { localpart: "nobody" })).status).toBe(404);
      expect((await api("POST", "allow_cross_signing_reset", {})).status).toBe(400);
    });
  });

  describe("devices", () => {
    const devices = async (lp: string) =>
      (await s.server.hs.services.stores.devices.listForUser(`@${lp}:test.local`)).map((d) => [d.deviceId, d.displayName]).sort();

    test("upsert_device: 201 then 200; the name changes only when given", async () => {
      await api("POST", "provision_user", { localpart: "dev" });
      expect((await api("POST", "upsert_device", { localpart: "dev", device_id: "D1", display_name: "Phone" })).status).toBe(201);
      expect((await api("POST", "upsert_device", { localpart: "dev", device_id: "D1" })).status).toBe(200);
      expect(await devices("dev")).toEqual([["D1", "Phone"]]);
      expect((await api("POST", "upsert_device", { localpart: "dev", device_id: "D1", display_name: "Laptop" })).status).toBe(200);
      expect(await devices("dev")).toEqual([["D1", "Laptop"]]);
      const long = await api("POST", "upsert_device", { localpart: "dev", device_id: "D2", display_name: "x".repeat(101) });
      expect(long.status).toBe(400);
      expect(long.body.errcode).toBe("M_TOO_LARGE");
      expect((await api("POST", "upsert_device", { localpart: "dev" })).status).toBe(400);
      expect((await api("POST", "upsert_device", { localpart: "nobody", device_id: "D1" })).status).toBe(404);
    });

    test("delete_device: 204, also for an unknown device; unknown user 404", async () => {
      await api("POST", "provision_user", { localpart: "deldev" });
      await api("POST", "upsert_device", { localpart: "deldev", device_id: "D1" });
      const res = await api("POST", "delete_device", { localpart: "deldev", device_id: "D1" });
      expect(res.status).toBe(204);
      expect(await devices("deldev")).toEqual([]);
      expect((await api("POST", "delete_device", { localpart: "deldev", device_id: "NOPE" })).status).toBe(204);
      expect((await api("POST", "delete_device", { localpart: "deldev" })).status).toBe(400);
      expect((await api("POST", "delete_device", { localpart: "nobody", device_id: "D1" })).status).toBe(404);
    });

    test("update_device_display_name", async () => {
      await api("POST", "provision_user", { localpart: "namedev" });
      await api("POST", "upsert_device", { localpart: "namedev", device_id: "D1" });
      expect((await api("POST", "update_device_display_name", { localpart: "namedev", device_id: "D1", display_name: "Tablet" })).status).toBe(200);
      expect(await devices("namedev")).toEqual([["D1", "Tablet"]]);
      const unknown = await api("POST", "update_device_display_name", { localpart: "namedev", device_id: "NOPE", display_name: "x" });
      expect(unknown.status).toBe(404);
      expect(unknown.body.errcode).toBe("M_NOT_FOUND");
      expect((await api("POST", "update_device_display_name", { localpart: "namedev", device_id: "D1", display_name: "x".repeat(101) })).body.errcode).toBe("M_TOO_LARGE");
      expect((await api("POST", "update_device_display_name", { localpart: "namedev", device_id: "D1" })).status).toBe(400);
      expect((await api("POST", "update_device_display_name", { localpart: "nobody", device_id: "D1", display_name: "x" })).status).toBe(404);
    });

    test("sync_devices adds and deletes to match the list, and logs what it will do", async () => {
      await api("POST", "provision_user", { localpart: "syncer" });
      capturedLogs.length = 0;
      expect((await api("POST", "sync_devices", { localpart: "syncer", devices: ["A", "B", "A"] })).status).toBe(200);
      expect(await devices("syncer")).toEqual([["A", null], ["B", null]]);
      await api("POST", "sync_devices", { localpart: "syncer", devices: ["A", "B"] });
      await api("POST", "sync_devices", { localpart: "syncer", devices: ["B", "C"] });
      expect(await devices("syncer")).toEqual([["B", null], ["C", null]]);
      await api("POST", "sync_devices", { localpart: "syncer", devices: ["B"] });
      await api("POST", "sync_devices", { localpart: "syncer", devices: [] });
      expect(await devices("syncer")).toEqual([]);
      const lines = capturedLogs.filter((r) => String(r.rawMessage).startsWith("Syncing")).map((r) => r.message.join(""));
      expect(lines).toEqual([
        "Syncing 2 devices for user @syncer:test.local will add 2 devices",
        "Syncing 2 devices for user @syncer:test.local will add 1 devices and delete 1 devices",
        "Syncing 1 devices for user @syncer:test.local will delete 1 devices",
        "Syncing 0 devices for user @syncer:test.local will delete 1 devices",
      ]);
      expect((await api("POST", "sync_devices", { localpart: "syncer" })).status).toBe(400);
      expect((await api("POST", "sync_devices", { localpart: "syncer", devices: "A" })).status).toBe(400);
      expect((await api("POST", "sync_devices", { localpart: "syncer", devices: [1] })).status).toBe(400);
      expect((await api("POST", "sync_devices", { localpart: "nobody", devices: [] })).status).toBe(404);
    });
  });
});

function hash(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}
