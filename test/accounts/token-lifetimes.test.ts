import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { adminRegister, login, register, startAccountsHomeserver } from "./helpers.ts";

const V3 = "/_matrix/client/v3";
const MIN = 60_000;

async function start(config: Record<string, unknown>) {
  const clock = new FakeClock("test.local");
  const t = await startAccountsHomeserver({ clock, config });
  return { t, clock };
}

const whoami = (t: TestHomeserver, token: string) => t.request("GET", `${V3}/account/whoami`, { token });
const refresh = (t: TestHomeserver, token: string) => t.request("POST", `${V3}/refresh`, { body: { refresh_token: token } });

describe("configured token lifetimes", () => {
  let t: TestHomeserver;
  let clock: FakeClock;
  beforeAll(async () => {
    ({ t, clock } = await start({
      refreshable_access_token_lifetime: "10m",
      refresh_token_lifetime: "1h",
      nonrefreshable_access_token_lifetime: "2h",
      session_lifetime: "3h",
    }));
    await adminRegister(t, "dana", "pw");
  });
  afterAll(() => t.stop());

  test("nonrefreshable_access_token_lifetime: plain tokens expire (soft logout) and say when", async () => {
    const r = await login(t, "dana", "pw");
    expect(r.body.expires_in_ms).toBe(120 * MIN);
    expect(r.body.refresh_token).toBeUndefined();
    expect((await whoami(t, r.body.access_token)).status).toBe(200);
    await clock.advance(120 * MIN);
    const expired = await whoami(t, r.body.access_token);
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: true });
  });

  test("registration issues tokens with the same lifetimes", async () => {
    const first = await t.request("POST", `${V3}/register`, { body: { username: "erin", password: "pw" } });
    const done = await t.request("POST", `${V3}/register`, { body: { auth: { type: "m.login.dummy", session: first.body.session } } });
    expect(done.status).toBe(200);
    expect(done.body.expires_in_ms).toBe(120 * MIN);
  });

  test("refreshable tokens: refreshable_access_token_lifetime, refresh_token_lifetime, capped by session_lifetime", async () => {
    const r = await login(t, "dana", "pw", { refresh_token: true });
    expect(r.body.expires_in_ms).toBe(10 * MIN);
    await clock.advance(10 * MIN);
    expect((await whoami(t, r.body.access_token)).body.soft_logout).toBe(true);

    // The refresh token lasts an hour from its issue.
    await clock.advance(40 * MIN);
    const second = await refresh(t, r.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.expires_in_ms).toBe(10 * MIN);
    await clock.advance(61 * MIN);
    const stale = await refresh(t, second.body.refresh_token);
    expect(stale.status).toBe(403);
    expect(stale.body).toEqual({ errcode: "M_FORBIDDEN", error: "The supplied refresh token has expired" });
  });

  test("session_lifetime bounds the session across refreshes", async () => {
    const r = await login(t, "dana", "pw", { refresh_token: true });
    let token = r.body.refresh_token as string;
    // Refreshes within each refresh token's hour; the last access token is cut short by the
    // end of the session, 3h after the login.
    for (const [after, expiresIn] of [[50, 10], [50, 10], [50, 10], [25, 5]] as const) {
      await clock.advance(after * MIN);
      const next = await refresh(t, token);
      expect(next.status).toBe(200);
      expect(next.body.expires_in_ms).toBe(expiresIn * MIN);
      token = next.body.refresh_token;
    }
    await clock.advance(6 * MIN);
    const over = await refresh(t, token);
    expect(over.status).toBe(403);
    expect(over.body.errcode).toBe("M_FORBIDDEN");
  });
});

describe("refresh tokens disabled", () => {
  let t: TestHomeserver;
  beforeAll(async () => ({ t } = await start({ refreshable_access_token_lifetime: null })));
  afterAll(() => t.stop());

  test("a login asking for a refresh token gets a plain, non-expiring token", async () => {
    await register(t, "fred", "pw");
    const r = await login(t, "fred", "pw", { refresh_token: true });
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).toBeUndefined();
    expect(r.body.expires_in_ms).toBeUndefined();
  });
});
