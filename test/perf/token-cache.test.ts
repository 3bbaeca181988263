// The access-token cache must never accept a token after it was revoked: every test first
// uses the token (so its row is cached), checks that the cache answered, revokes, and then
// expects the very next request to be refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { TokenCache } from "../../src/auth/token-cache.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { WriteGenerations } from "../../src/storage/write-generations.ts";
import { login, register, startAccountsHomeserver } from "../accounts/helpers.ts";
import { makeUser } from "../admin/helpers.ts";
import type { TestHomeserver } from "../support/homeserver.ts";

const V3 = "/_matrix/client/v3";

describe("access-token cache: revocation takes effect at once", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startAccountsHomeserver();
  });
  afterAll(() => t.stop());

  const whoami = (token: string) => t.request("GET", `${V3}/account/whoami`, { token });
  const hits = () => t.hs.services.accessTokens.cache.stats().hits;
  const passwordAuth = (user: string, password: string, session: string) => ({
    type: "m.login.password",
    identifier: { type: "m.id.user", user },
    password,
    session,
  });

  /** Uses the token twice and checks that the second use was answered from the cache. */
  async function warm(token: string): Promise<void> {
    expect((await whoami(token)).status).toBe(200);
    const before = hits();
    expect((await whoami(token)).status).toBe(200);
    expect(hits()).toBeGreaterThan(before);
  }

  test("a cached token is refused right after /logout", async () => {
    const a = await register(t, "tc_logout");
    await warm(a.accessToken);
    expect((await t.request("POST", `${V3}/logout`, { token: a.accessToken, body: {} })).status).toBe(200);
    const after = await whoami(a.accessToken);
    expect(after.status).toBe(401);
    expect(after.body.errcode).toBe("M_UNKNOWN_TOKEN");
  });

  test("every cached token of the user is refused right after /logout/all", async () => {
    const a = await register(t, "tc_logout_all");
    const other = (await login(t, "tc_logout_all")).body.access_token as string;
    await warm(a.accessToken);
    await warm(other);
    expect((await t.request("POST", `${V3}/logout/all`, { token: a.accessToken, body: {} })).status).toBe(200);
    for (const token of [a.accessToken, other]) expect((await whoami(token)).status).toBe(401);
  });

  test("a deleted device's cached token is refused at once", async () => {
    const a = await register(t, "tc_device", "pw", { device_id: "KEEP" });
    const victim = (await login(t, "tc_device", "pw", { device_id: "GONE" })).body.access_token as string;
    await warm(victim);
    const challenge = await t.request("DELETE", `${V3}/devices/GONE`, { token: a.accessToken });
    const ok = await t.request("DELETE", `${V3}/devices/GONE`, {
      token: a.accessToken,
      body: { auth: passwordAuth("tc_device", "pw", challenge.body.session) },
    });
    expect(ok.status).toBe(200);
    expect((await whoami(victim)).status).toBe(401);
    expect((await whoami(a.accessToken)).status).toBe(200);
  });

  test("a deactivated user's cached tokens are refused at once", async () => {
    const a = await register(t, "tc_deactivate", "pw");
    const other = (await login(t, "tc_deactivate", "pw")).body.access_token as string;
    await warm(a.accessToken);
    await warm(other);
    const challenge = await t.request("POST", `${V3}/account/deactivate`, { token: a.accessToken, body: {} });
    const ok = await t.request("POST", `${V3}/account/deactivate`, {
      token: a.accessToken,
      body: { auth: passwordAuth("tc_deactivate", "pw", challenge.body.session) },
    });
    expect(ok.status).toBe(200);
    for (const token of [a.accessToken, other]) expect((await whoami(token)).status).toBe(401);
  });

  test("a password change refuses the other devices' cached tokens at once and keeps the caller's", async () => {
    const a = await register(t, "tc_password", "old-pw");
    const other = (await login(t, "tc_password", "old-pw")).body.access_token as string;
    await warm(a.accessToken);
    await warm(other);
    const challenge = await t.request("POST", `${V3}/account/password`, { token: a.accessToken, body: { new_password: "new-pw" } });
    const ok = await t.request("POST", `${V3}/account/password`, {
      token: a.accessToken,
      body: { new_password: "new-pw", auth: passwordAuth("tc_password", "old-pw", challenge.body.session) },
    });
    expect(ok.status).toBe(200);
    expect((await whoami(other)).status).toBe(401);
    expect((await whoami(a.accessToken)).status).toBe(200);
  });

  test("admin deactivation, locking and device deletion refuse cached tokens at once", async () => {
    const admin = await makeUser(t, "tc_admin", { admin: true });
    const enc = encodeURIComponent;

    const locked = await makeUser(t, "tc_locked");
    await warm(locked.token);
    const lock = await t.request("PUT", `/_synapse/admin/v2/users/${enc(locked.userId)}`, { token: admin.token, body: { locked: true } });
    expect(lock.status).toBe(200);
    const lockedAnswer = await whoami(locked.token);
    expect(lockedAnswer.status).toBe(401);
    expect(lockedAnswer.body.errcode).toBe("M_USER_LOCKED");

    const gone = await makeUser(t, "tc_admin_deactivated");
    await warm(gone.token);
    expect((await t.request("POST", `/_synapse/admin/v1/deactivate/${enc(gone.userId)}`, { token: admin.token, body: {} })).status).toBe(200);
    expect((await whoami(gone.token)).status).toBe(401);

    const device = await makeUser(t, "tc_admin_device");
    await warm(device.token);
    const del = await t.request("DELETE", `/_synapse/admin/v2/users/${enc(device.userId)}/devices/${enc(device.deviceId)}`, { token: admin.token });
    expect(del.status).toBe(200);
    expect((await whoami(device.token)).status).toBe(401);
  });

  test("losing admin rights is seen at once by a cached admin token", async () => {
    const boss = await makeUser(t, "tc_boss", { admin: true });
    const other = await makeUser(t, "tc_other_admin", { admin: true });
    const listUsers = () => t.request("GET", "/_synapse/admin/v2/users", { token: boss.token });
    expect((await listUsers()).status).toBe(200);
    expect((await listUsers()).status).toBe(200);
    const demote = await t.request("PUT", `/_synapse/admin/v1/users/${encodeURIComponent(boss.userId)}/admin`, {
      token: other.token,
      body: { admin: false },
    });
    expect(demote.status).toBe(200);
    expect((await listUsers()).status).toBe(403);
  });
});

describe("TokenCache", () => {
  function setup(ttlMs = 1000, maxEntries = 3) {
    const clock = new FakeClock();
    let inTxn = false;
    const generations = new WriteGenerations(() => inTxn);
    const cache = new TokenCache<{ id: string }>(clock, () => generations.sum(["t"]), { ttlMs, maxEntries });
    let loads = 0;
    const load = (id: string) => async () => {
      loads++;
      return { id };
    };
    return { clock, generations, cache, load, loads: () => loads, setInTxn: (v: boolean) => (inTxn = v) };
  }
  const always = () => true;

  test("answers from memory until the TTL has passed", async () => {
    const s = setup(1000);
    await s.cache.get("a", s.load("a"), always);
    await s.cache.get("a", s.load("a"), always);
    expect(s.loads()).toBe(1);
    await s.clock.advance(1000);
    await s.cache.get("a", s.load("a"), always);
    expect(s.loads()).toBe(2);
  });

  test("a write to the tables drops every row", async () => {
    const s = setup();
    await s.cache.get("a", s.load("a"), always);
    await s.generations.around(["t"], async () => undefined);
    await s.cache.get("a", s.load("a"), always);
    expect(s.loads()).toBe(2);
  });

  test("a row read while a write was under way is not kept", async () => {
    const s = setup();
    let finishWrite!: () => void;
    const write = s.generations.around(["t"], () => new Promise<void>((r) => (finishWrite = r)));
    // Read during the write, and a read that starts before the write ends and finishes after it.
    await s.cache.get("a", s.load("a"), always);
    let release!: () => void;
    const slow = s.cache.get("b", async () => {
      await new Promise<void>((r) => (release = r));
      return { id: "b" };
    }, always);
    finishWrite();
    await write;
    release();
    await slow;
    await s.cache.get("a", s.load("a"), always);
    await s.cache.get("b", s.load("b"), always);
    expect(s.loads()).toBe(3); // a twice, b once through load(): neither was kept
    expect(s.cache.stats().size).toBe(2); // both kept now that no write overlaps
  });

  test("rows the caller refuses, and unknown tokens, are not kept", async () => {
    const s = setup();
    await s.cache.get("a", s.load("a"), () => false);
    await s.cache.get("a", s.load("a"), always);
    expect(s.loads()).toBe(2);
    let misses = 0;
    const unknown = async () => {
      misses++;
      return undefined;
    };
    await s.cache.get("x", unknown, always);
    await s.cache.get("x", unknown, always);
    expect(misses).toBe(2);
  });

  test("holds at most maxEntries rows, dropping the oldest", async () => {
    const s = setup(1000, 2);
    for (const id of ["a", "b", "c"]) await s.cache.get(id, s.load(id), always);
    expect(s.cache.stats().size).toBe(2);
    await s.cache.get("a", s.load("a"), always);
    expect(s.loads()).toBe(4);
  });

  test("a write nested in another transaction is refused, since it would settle before the commit", async () => {
    const s = setup();
    s.setInTxn(true);
    await expect(s.generations.around(["t"], async () => undefined)).rejects.toThrow("must not run inside another transaction");
  });
});
