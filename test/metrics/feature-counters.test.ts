import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type TestHomeserver } from "../support/homeserver.ts";
import { adminRegister, login, register, sharedSecretMac, startAccountsHomeserver } from "../accounts/helpers.ts";
import { startMasSetup, type MasTestSetup } from "../mas/harness.ts";
import { scrapeMetrics } from "../../src/observability/metrics/exposition.ts";
import { parseExposition, valueOf, type ParsedExposition } from "./exposition-parser.ts";

const scrape = async (): Promise<ParsedExposition> => parseExposition(await scrapeMetrics());

const REG = "synapse_user_registrations_total";
const LOGIN = "synapse_user_logins_total";

/** Shared-secret registration of an admin (the helper only registers non-admins). */
async function adminAccount(t: TestHomeserver, username: string): Promise<string> {
  const { nonce } = (await t.request("GET", "/_synapse/admin/v1/register")).body;
  const mac = sharedSecretMac("test-shared-secret", [nonce, username, "pw", "admin"]);
  const r = await t.request("POST", "/_synapse/admin/v1/register", { body: { nonce, username, password: "pw", mac, admin: true } });
  expect(r.status).toBe(200);
  return r.body.access_token;
}

describe("registrations and logins are counted per homeserver", () => {
  const S = { server_name: "accounts.metrics.test" };
  const OTHER = { server_name: "other.metrics.test" };
  const user = { ...S, guest: "False", shadow_banned: "False", auth_provider: "" };
  const guest = { ...S, guest: "True", shadow_banned: "False", auth_provider: "" };
  const userLogin = { ...S, guest: "False", auth_provider: "" };
  const guestLogin = { ...S, guest: "True", auth_provider: "" };
  let t: TestHomeserver;
  let other: TestHomeserver;

  beforeAll(async () => {
    t = await startAccountsHomeserver({ serverName: S.server_name, config: { allow_guest_access: true } });
    other = await startAccountsHomeserver({ serverName: OTHER.server_name });
  });
  afterAll(async () => {
    await t.stop();
    await other.stop();
  });

  test("every registration path counts once; every issued session counts as a login", async () => {
    let m = await scrape();
    expect(valueOf(m, REG, user)).toBe(0);
    expect(valueOf(m, LOGIN, userLogin)).toBe(0);

    await register(t, "alice");
    m = await scrape();
    expect(valueOf(m, REG, user)).toBe(1);
    // Synapse counts a login in register_device, which registration with a session goes through.
    expect(valueOf(m, LOGIN, userLogin)).toBe(1);

    const g = await t.request("POST", "/_matrix/client/v3/register?kind=guest", { body: {} });
    expect(g.status).toBe(200);
    m = await scrape();
    expect(valueOf(m, REG, guest)).toBe(1);
    expect(valueOf(m, LOGIN, guestLogin)).toBe(1);
    expect(valueOf(m, REG, user)).toBe(1);

    await adminRegister(t, "bob");
    const adminToken = await adminAccount(t, "root");
    m = await scrape();
    expect(valueOf(m, REG, user)).toBe(3);
    expect(valueOf(m, LOGIN, userLogin)).toBe(3);

    // The admin API creates a user without logging it in.
    const put = await t.request("PUT", `/_synapse/admin/v2/users/${encodeURIComponent(`@carol:${S.server_name}`)}`, {
      token: adminToken,
      body: { password: "pw" },
    });
    expect(put.status).toBe(201);
    // Registering without a session (inhibit_login) is a registration only.
    await register(t, "dave", "correct horse", { inhibit_login: true });
    m = await scrape();
    expect(valueOf(m, REG, user)).toBe(5);
    expect(valueOf(m, LOGIN, userLogin)).toBe(3);

    expect((await login(t, "alice")).status).toBe(200);
    expect((await login(t, "alice", "wrong password")).status).toBe(403);
    m = await scrape();
    expect(valueOf(m, LOGIN, userLogin)).toBe(4);
    expect(valueOf(m, REG, guest)).toBe(1);
    expect(valueOf(m, LOGIN, guestLogin)).toBe(1);

    // The other homeserver of the process saw none of it.
    expect(valueOf(m, REG, { ...user, ...OTHER })).toBe(0);
    expect(valueOf(m, LOGIN, { ...userLogin, ...OTHER })).toBe(0);
  });
});

describe("users provisioned by MAS", () => {
  const S = { server_name: "mas.metrics.test" };
  let s: MasTestSetup;
  beforeAll(async () => {
    s = await startMasSetup({ serverName: S.server_name });
  });
  afterAll(() => s.stop());

  test("count as registrations when created, not when updated", async () => {
    const labels = { ...S, guest: "False", shadow_banned: "False", auth_provider: "" };
    expect(valueOf(await scrape(), REG, labels)).toBe(0);
    expect((await s.masApi("POST", "provision_user", { localpart: "erin" })).status).toBe(201);
    expect(valueOf(await scrape(), REG, labels)).toBe(1);
    expect((await s.masApi("POST", "provision_user", { localpart: "erin", set_displayname: "Erin" })).status).toBe(200);
    expect(valueOf(await scrape(), REG, labels)).toBe(1);
  });
});

describe("rate-limit rejections", () => {
  const S = { server_name: "ratelimit.metrics.test" };
  let t: TestHomeserver;
  beforeAll(async () => {
    t = await startAccountsHomeserver({
      serverName: S.server_name,
      config: { rc_message: { per_second: 0.0001, burst_count: 3 }, rc_room_creation: { per_second: 1000, burst_count: 1000 } },
    });
  });
  afterAll(() => t.stop());

  test("each refusal counts under the limiter's config key", async () => {
    const { accessToken } = await adminRegister(t, "sender");
    const created = await t.request("POST", "/_matrix/client/v3/createRoom", { token: accessToken, body: {} });
    expect(created.status).toBe(200);
    const roomId = encodeURIComponent(created.body.room_id);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await t.request("PUT", `/_matrix/client/v3/rooms/${roomId}/send/m.room.message/t${i}`, {
        token: accessToken,
        body: { msgtype: "m.text", body: `hello ${i}` },
      });
      statuses.push(r.status);
    }
    // createRoom took one token of rc_message's three.
    expect(statuses).toEqual([200, 200, 429, 429]);
    const m = await scrape();
    expect(valueOf(m, "synapse_rate_limit_reject_total", { ...S, rate_limiter_name: "rc_message" })).toBe(2);
    expect(valueOf(m, "synapse_rate_limit_reject_total", { ...S, rate_limiter_name: "rc_room_creation" })).toBeUndefined();
  });
});
