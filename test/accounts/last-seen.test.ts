import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { DevicesStore } from "../../src/storage/stores/devices.ts";
import { adminRegister, fromIp, startAccountsHomeserver, type Account } from "./helpers.ts";

const V3 = "/_matrix/client/v3";

describe("devices' last seen time, address and user agent", () => {
  let t: TestHomeserver;
  let clock: FakeClock;
  let a: Account;
  beforeAll(async () => {
    clock = new FakeClock("test.local");
    t = await startAccountsHomeserver({ clock });
    a = await adminRegister(t, "seen", "pw");
  });
  afterAll(() => t.stop());

  const stored = async () => (await t.hs.services.stores.devices.get(a.userId, a.deviceId))!;
  /** Lets the 5 s batch run, and waits for its write. */
  const flushTick = async () => {
    await clock.advance(5_000);
    await t.hs.services.accounts.lastSeen.flush();
  };

  test("an authenticated request is seen at once by device listings, and written in the next batch", async () => {
    const before = await stored();
    await clock.advance(10 * 60_000);
    const at = clock.now();
    const devices = await t.request("GET", `${V3}/devices`, { token: a.accessToken, headers: { "user-agent": "Element/1.11" } });
    expect(devices.body.devices).toEqual([{ device_id: a.deviceId, last_seen_ts: at, last_seen_ip: "127.0.0.1" }]);
    // Not written yet: no database work on the request path.
    expect((await stored()).lastSeenTs).toBe(before.lastSeenTs);
    await flushTick();
    expect(await stored()).toMatchObject({ lastSeenTs: at, lastSeenIp: "127.0.0.1", lastSeenUserAgent: "Element/1.11" });
    const one = await t.request("GET", `${V3}/devices/${a.deviceId}`, { token: a.accessToken });
    expect(one.body.last_seen_ts).toBe(at);
  });

  test("the same device and address are recorded at most every two minutes; a new address at once", async () => {
    const first = (await stored()).lastSeenTs!;
    await clock.advance(30_000);
    await t.request("GET", `${V3}/account/whoami`, { token: a.accessToken });
    await flushTick();
    expect((await stored()).lastSeenTs).toBe(first);

    const fromElsewhere = clock.now();
    expect((await fromIp(t, "198.51.100.7", "GET", `${V3}/account/whoami`, { token: a.accessToken })).status).toBe(200);
    await flushTick();
    expect(await stored()).toMatchObject({ lastSeenTs: fromElsewhere, lastSeenIp: "198.51.100.7", lastSeenUserAgent: null });

    await clock.advance(120_000);
    const later = clock.now();
    await t.request("GET", `${V3}/account/whoami`, { token: a.accessToken, headers: { "user-agent": "Element/1.12" } });
    await flushTick();
    expect(await stored()).toMatchObject({ lastSeenTs: later, lastSeenIp: "127.0.0.1", lastSeenUserAgent: "Element/1.12" });
  });

  test("unauthenticated and failed-auth requests are not recorded", async () => {
    const before = await stored();
    await clock.advance(5 * 60_000);
    await t.request("GET", `${V3}/account/whoami`, { token: "syt_bm9ib2R5_aaaaaaaaaaaaaaaaaaaa_000000" });
    await t.request("GET", `${V3}/login`);
    await flushTick();
    expect((await stored()).lastSeenTs).toBe(before.lastSeenTs);
  });

  test("the admin API's user view reports the written time", async () => {
    const admin = await t.hs.services.accounts.registration.register({ localpart: "lsadmin", passwordHash: null, admin: true });
    const { accessToken } = await t.hs.services.accounts.sessions.create(admin);
    const view = await t.request("GET", `/_synapse/admin/v2/users/${encodeURIComponent(a.userId)}`, { token: accessToken });
    expect(view.body.last_seen_ts).toBe((await stored()).lastSeenTs);
  });
});

describe("stopping the homeserver", () => {
  test("writes what was seen since the last batch", async () => {
    const clock = new FakeClock("test.local");
    const t = await startAccountsHomeserver({ clock });
    const a = await adminRegister(t, "stopper", "pw");
    await clock.advance(60_000);
    const at = clock.now();
    await t.request("GET", `${V3}/account/whoami`, { token: a.accessToken, headers: { "user-agent": "Last/1" } });
    await t.hs.stop();
    const database = await openDatabase(t.hs.config.database);
    try {
      expect(await new DevicesStore(database).get(a.userId, a.deviceId)).toMatchObject({ lastSeenTs: at, lastSeenUserAgent: "Last/1" });
    } finally {
      await database.close();
      await t.stop();
    }
  });
});
