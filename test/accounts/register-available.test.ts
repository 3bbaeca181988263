import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { fromIp, register, startAccountsHomeserver } from "./helpers.ts";

const V3 = "/_matrix/client/v3";

describe("GET /register/available is limited per client IP, as in Synapse", () => {
  let t: TestHomeserver;
  let clock: FakeClock;
  beforeAll(async () => {
    clock = new FakeClock("test.local");
    t = await startAccountsHomeserver({ clock });
  });
  afterAll(() => t.stop());

  const available = (ip: string, name: string) => fromIp(t, ip, "GET", `${V3}/register/available?username=${name}`);
  const tracked = <T>(p: Promise<T>) => {
    const state = { done: false, value: undefined as T | undefined };
    void p.then((v) => Object.assign(state, { done: true, value: v }));
    return state;
  };

  test("a second request within 2 s waits a second; other addresses do not wait", async () => {
    expect((await available("10.7.0.1", "first")).body).toEqual({ available: true });
    const second = tracked(available("10.7.0.1", "second"));
    const elsewhere = await available("10.7.0.2", "third");
    expect(elsewhere.status).toBe(200);
    await Bun.sleep(30);
    expect(second.done).toBe(false);
    await clock.advance(1000);
    for (let i = 0; i < 100 && !second.done; i++) await Bun.sleep(5);
    expect(second.value!.status).toBe(200);
    // After the window, no wait.
    await clock.advance(2000);
    expect((await available("10.7.0.1", "fourth")).status).toBe(200);
  });

  test("with more than one request already waiting, the next is refused with 429", async () => {
    await clock.advance(5000);
    const requests = ["a1", "a2", "a3", "a4"].map((name) => tracked(available("10.7.0.3", name)));
    await Bun.sleep(50);
    // The first went through; two wait; the fourth waits only for the 429's own pause.
    await clock.advance(1000);
    for (let i = 0; i < 200 && requests.some((r) => !r.done); i++) await Bun.sleep(5);
    const statuses = requests.map((r) => r.value!.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    const refused = requests.find((r) => r.value!.status === 429)!.value!;
    expect(refused.body).toMatchObject({ errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 2000 });
  });

  test("taken and invalid names still answer as before", async () => {
    await clock.advance(5000);
    await register(t, "taken", "pw");
    await clock.advance(5000);
    const taken = await available("10.7.0.4", "taken");
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe("M_USER_IN_USE");
    await clock.advance(5000);
    expect((await available("10.7.0.4", "Bad%20Name")).body.errcode).toBe("M_INVALID_USERNAME");
    await clock.advance(5000);
    expect((await fromIp(t, "10.7.0.4", "GET", `${V3}/register/available`)).body.errcode).toBe("M_MISSING_PARAM");
  });
});

describe("inhibit_user_in_use_error", () => {
  let t: TestHomeserver;
  beforeAll(async () => (t = await startAccountsHomeserver({ config: { inhibit_user_in_use_error: true } })));
  afterAll(() => t.stop());

  test("every name looks available; a taken name is refused only after UIA", async () => {
    await register(t, "occupied", "pw");
    expect((await t.request("GET", `${V3}/register/available?username=occupied`)).body).toEqual({ available: true });
    const first = await t.request("POST", `${V3}/register`, { body: { username: "occupied", password: "pw" } });
    expect(first.status).toBe(401);
    const done = await t.request("POST", `${V3}/register`, { body: { auth: { type: "m.login.dummy", session: first.body.session } } });
    expect(done.status).toBe(400);
    expect(done.body.errcode).toBe("M_USER_IN_USE");
  });
});
