import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { startTestHomeserver } from "../support/homeserver.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { adminRegister, fromIp, settle } from "./helpers.ts";

const V3 = "/_matrix/client/v3";

/** Synapse's default limits apply: these tests use no overrides. */
async function start(config: Record<string, unknown> = {}) {
  const clock = new FakeClock("test.local");
  const t = await startTestHomeserver({ clock, config: { enable_registration: true, enable_registration_without_verification: true, ...config } });
  return { t, clock };
}

function expect429(r: { status: number; body: any; headers: Headers }, retryAfterMs: number) {
  expect(r.status).toBe(429);
  expect(r.body.errcode).toBe("M_LIMIT_EXCEEDED");
  expect(r.body.retry_after_ms).toBe(retryAfterMs);
  expect(r.headers.get("retry-after")).toBe(String(Math.ceil(retryAfterMs / 1000)));
}

describe("rc_registration: 0.17/s, burst 3, per client IP", () => {
  let t: TestHomeserver;
  let clock: FakeClock;
  beforeAll(async () => ({ t, clock } = await start()));
  afterAll(() => t.stop());

  const registerFrom = async (ip: string, username: string) => {
    const first = await settle(clock, () => fromIp(t, ip, "POST", `${V3}/register`, { body: { username, password: "pw" } }));
    if (first.result.status !== 401) return first;
    return settle(clock, () =>
      fromIp(t, ip, "POST", `${V3}/register`, { body: { auth: { type: "m.login.dummy", session: first.result.body.session } } }),
    );
  };

  test("the fourth registration from one IP is refused, another IP is not, and it recovers", async () => {
    for (const name of ["r1", "r2", "r3"]) expect((await registerFrom("10.0.0.1", name)).result.status).toBe(200);
    const refused = await registerFrom("10.0.0.1", "r4");
    // 3 tokens at t0, leaking 0.17/s: room for one more after 1/0.17 s.
    expect429(refused.result, Math.trunc(1000 / 0.17));
    expect((await registerFrom("10.0.0.2", "other")).result.status).toBe(200);
    await clock.advance(Math.ceil(1000 / 0.17) - refused.advancedMs);
    expect((await registerFrom("10.0.0.1", "r4")).result.status).toBe(200);
  });

  test("X-Forwarded-For counts only on a listener with x_forwarded", async () => {
    const body = { username: "fwd", password: "pw" };
    // Exhausted 10.0.0.1 above; a proxy forwarding for a fresh client is not limited...
    const viaProxy = await settle(clock, () =>
      fromIp(t, "10.0.0.1", "POST", `${V3}/register`, { body, forwardedFor: "192.0.2.7", trustForwarded: true }),
    );
    expect(viaProxy.result.status).toBe(401);
    // ...but the header is ignored when the listener does not trust it.
    for (let i = 0; i < 3; i++) await registerFrom("10.0.0.9", `spoof${i}`);
    const spoofed = await settle(clock, () => fromIp(t, "10.0.0.9", "POST", `${V3}/register`, { body, forwardedFor: "192.0.2.8" }));
    expect(spoofed.result.status).toBe(429);
  });
});

describe("rc_login", () => {
  let t: TestHomeserver;
  let clock: FakeClock;
  beforeAll(async () => {
    ({ t, clock } = await start());
    for (const name of ["lu1", "lu2", "lu3"]) await adminRegister(t, name, "pw");
  });
  afterAll(() => t.stop());

  const loginFrom = (ip: string, user: string, password = "pw") =>
    settle(clock, () =>
      fromIp(t, ip, "POST", `${V3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password } }),
    );

  test("address: 0.003/s, burst 5 per IP, every attempt counts", async () => {
    expect((await loginFrom("10.1.0.1", "lu1", "wrong")).result.status).toBe(403);
    for (let i = 0; i < 4; i++) expect((await loginFrom("10.1.0.1", `nobody${i}`)).result.status).toBe(403);
    const refused = await loginFrom("10.1.0.1", "lu1");
    expect429(refused.result, Math.trunc(1000 / 0.003));
    expect((await loginFrom("10.1.0.2", "lu1")).result.status).toBe(200);
    await clock.advance(Math.ceil(1000 / 0.003));
    expect((await loginFrom("10.1.0.1", "lu1")).result.status).toBe(200);
  });

  test("account: 0.003/s, burst 5 successful logins per account, whatever the IP", async () => {
    for (let i = 0; i < 5; i++) expect((await loginFrom(`10.2.0.${i}`, "lu2")).result.status).toBe(200);
    const refused = await loginFrom("10.2.0.99", "LU2");
    expect(refused.result.status).toBe(429);
    expect(refused.result.body.retry_after_ms).toBeGreaterThan(300_000);
    expect((await loginFrom("10.2.0.98", "lu3")).result.status).toBe(200);
    await clock.advance(Math.ceil(1000 / 0.003));
    expect((await loginFrom("10.2.0.97", "lu2")).result.status).toBe(200);
  });

  test("failed_attempts: 0.17/s, burst 3 wrong passwords per account lock out even the right one", async () => {
    for (let i = 0; i < 3; i++) expect((await loginFrom(`10.3.0.${i}`, "lu3", "wrong")).result.status).toBe(403);
    const locked = await loginFrom("10.3.0.50", "lu3", "pw");
    expect429(locked.result, Math.trunc(1000 / 0.17));
    await clock.advance(Math.ceil(1000 / 0.17) - locked.advancedMs);
    expect((await loginFrom("10.3.0.51", "lu3", "pw")).result.status).toBe(200);
  });
});

describe("rc_registration_token_validity and failed UIA attempts", () => {
  let t: TestHomeserver;
  let clock: FakeClock;
  beforeAll(async () => ({ t, clock } = await start({ registration_requires_token: true })));
  afterAll(() => t.stop());

  test("token validity: 0.1/s, burst 5 per IP", async () => {
    const check = () =>
      settle(clock, () => fromIp(t, "10.4.0.1", "GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token=abc"));
    for (let i = 0; i < 5; i++) expect((await check()).result.status).toBe(200);
    const refused = await check();
    expect429(refused.result, 10_000);
    await clock.advance(10_000 - refused.advancedMs);
    expect((await check()).result.status).toBe(200);
  });

  test("wrong passwords in UIA count against rc_login.failed_attempts for the user", async () => {
    const a = await adminRegister(t, "uiauser", "pw");
    const attempt = async (password: string) => {
      const challenge = await settle(clock, () => fromIp(t, "10.5.0.1", "POST", `${V3}/account/password`, { token: a.accessToken, body: { new_password: "x" } }));
      if (challenge.result.status !== 401) return challenge.result;
      const auth = { type: "m.login.password", identifier: { type: "m.id.user", user: "uiauser" }, password, session: challenge.result.body.session };
      return (await settle(clock, () => fromIp(t, "10.5.0.1", "POST", `${V3}/account/password`, { token: a.accessToken, body: { new_password: "x", auth } }))).result;
    };
    for (let i = 0; i < 3; i++) expect((await attempt("wrong")).body.errcode).toBe("M_FORBIDDEN");
    expect((await attempt("pw")).status).toBe(429);
    await clock.advance(10_000);
    expect((await attempt("pw")).status).toBe(200);
  });
});
