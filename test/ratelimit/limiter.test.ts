import { describe, test, expect } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import { MatrixError } from "../../src/http/errors.ts";
import {
  BURST_ONLY_RETRY_AFTER_MS,
  LimitExceededError,
  Ratelimiter,
  type OverrideLookup,
  type RatelimiterOptions,
} from "../../src/ratelimit/limiter.ts";

/** A limiter on a fake clock, plus helpers that speak in seconds since the start, like Synapse's tests. */
function setup(opts: Partial<RatelimiterOptions> = {}) {
  const clock = new FakeClock();
  const t0 = clock.now();
  const limiter = new Ratelimiter({ name: "rc_test", perSecond: 0.1, burstCount: 1, clock, ...opts });
  const at = async (s: number) => clock.advance(t0 + s * 1000 - clock.now());
  const secs = (ms: number) => (ms === -1 ? -1 : (ms - t0) / 1000);
  return { clock, t0, limiter, at, secs };
}

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("worked examples (spec §3.2)", () => {
  test("rate 0.1/s, burst 1", async () => {
    const { limiter, at, secs } = setup();
    let r = limiter.canDoAction({ key: "test_id" });
    expect(r.allowed).toBe(true);
    expect(secs(r.timeAllowedMs)).toBe(10);
    await at(5);
    r = limiter.canDoAction({ key: "test_id" });
    expect(r.allowed).toBe(false);
    expect(secs(r.timeAllowedMs)).toBe(10);
    await at(10);
    r = limiter.canDoAction({ key: "test_id" });
    expect(r.allowed).toBe(true);
    expect(secs(r.timeAllowedMs)).toBe(20);
  });

  test("ratelimit() throws 429 with retry_after_ms 5000 at t=5", async () => {
    const { limiter, at } = setup();
    limiter.ratelimit({ key: "test_id" });
    await at(5);
    const err = catchError(() => limiter.ratelimit({ key: "test_id" }));
    expect(err).toBeInstanceOf(MatrixError);
    expect(err).toBeInstanceOf(LimitExceededError);
    const e = err as LimitExceededError;
    expect(e.status).toBe(429);
    expect(e.errcode).toBe("M_LIMIT_EXCEEDED");
    expect(e.toJSON()).toEqual({ errcode: "M_LIMIT_EXCEEDED", error: "Too Many Requests", retry_after_ms: 5000 });
    expect(e.headers).toEqual({ "Retry-After": "5" });
    expect(e.retryAfterSeconds).toBe(5);
    expect(e.limiterName).toBe("rc_test");
    await at(10);
    expect(() => limiter.ratelimit({ key: "test_id" })).not.toThrow();
  });

  test("multiple actions with burst 3", async () => {
    const { limiter, at, secs } = setup({ burstCount: 3 });
    expect(limiter.canDoAction({ key: "k", nActions: 4 }).allowed).toBe(false);
    let r = limiter.canDoAction({ key: "k", nActions: 3 });
    expect(r.allowed).toBe(true);
    expect(secs(r.timeAllowedMs)).toBe(10);
    r = limiter.canDoAction({ key: "k" });
    expect(r.allowed).toBe(false);
    expect(secs(r.timeAllowedMs)).toBe(10);
    await at(10);
    r = limiter.canDoAction({ key: "k", update: false });
    expect(r.allowed).toBe(true);
    expect(secs(r.timeAllowedMs)).toBe(20);
    r = limiter.canDoAction({ key: "k", nActions: 2 });
    expect(r.allowed).toBe(false);
    expect(secs(r.timeAllowedMs)).toBe(10); // one action would fit
    await at(20);
    r = limiter.canDoAction({ key: "k", nActions: 2 });
    expect(r.allowed).toBe(true);
    expect(secs(r.timeAllowedMs)).toBe(30);
  });

  test("explicit rate and burst parameters", async () => {
    const { limiter, at, secs } = setup();
    expect(limiter.canDoAction({ key: "k" }).allowed).toBe(true);
    await at(1);
    let r = limiter.canDoAction({ key: "k" });
    expect(r.allowed).toBe(false);
    expect(secs(r.timeAllowedMs)).toBe(10);
    expect((catchError(() => limiter.ratelimit({ key: "k" })) as LimitExceededError).retryAfterMs).toBe(9000);
    r = limiter.canDoAction({ key: "k", rateHz: 10 });
    expect(r.allowed).toBe(true);
    expect(secs(r.timeAllowedMs)).toBeCloseTo(1.1, 9);
    r = limiter.canDoAction({ key: "k", burstCount: 10 });
    expect(r.allowed).toBe(true);
    expect(secs(r.timeAllowedMs)).toBe(1);
  });

  test("the burst is only given once", async () => {
    const { limiter, at } = setup({ burstCount: 3 });
    const consumeAt = async (s: number) => (await at(s), limiter.canDoAction({ key: "a" }).allowed);
    expect(await consumeAt(0)).toBe(true);
    expect(await consumeAt(0.1)).toBe(true);
    expect(await consumeAt(0.2)).toBe(true);
    expect(await consumeAt(10.1)).toBe(true); // one token leaked back
    expect(await consumeAt(11.1)).toBe(false);
  });

  test("a denied attempt never changes state", async () => {
    const { limiter, at } = setup({ burstCount: 2 });
    limiter.canDoAction({ key: "k", nActions: 2 });
    for (let i = 0; i < 5; i++) expect(limiter.canDoAction({ key: "k" }).allowed).toBe(false);
    await at(10);
    expect(limiter.canDoAction({ key: "k" }).allowed).toBe(true);
  });

  test("update=false does not consume", () => {
    const { limiter } = setup();
    for (let i = 0; i < 3; i++) expect(limiter.canDoAction({ key: "k", update: false }).allowed).toBe(true);
    expect(limiter.size).toBe(0);
    expect(limiter.canDoAction({ key: "k" }).allowed).toBe(true);
    expect(limiter.canDoAction({ key: "k" }).allowed).toBe(false);
  });

  test("keys are independent; the requester is the default key", () => {
    const { limiter } = setup();
    expect(limiter.canDoAction({ requester: "@a:test" }).allowed).toBe(true);
    expect(limiter.canDoAction({ key: "@a:test" }).allowed).toBe(false);
    expect(limiter.canDoAction({ requester: "@b:test" }).allowed).toBe(true);
    expect(limiter.canDoAction({ requester: "@a:test", key: "!room:test" }).allowed).toBe(true);
    expect(() => limiter.canDoAction({})).toThrow();
  });
});

describe("recordAction", () => {
  test("that does not fill the bucket", () => {
    const { limiter } = setup({ burstCount: 3 });
    limiter.recordAction({ key: "a", nActions: 2 });
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(true);
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(false);
  });

  test("that fills the bucket", async () => {
    const { limiter, at } = setup({ burstCount: 3 });
    limiter.recordAction({ key: "a", nActions: 3 });
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(false);
    await at(10);
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(true);
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(false);
  });

  test("that overfills the bucket needs two leaks", async () => {
    const { limiter, at } = setup({ burstCount: 3 });
    limiter.recordAction({ key: "a", nActions: 4 });
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(false);
    await at(10);
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(false);
    await at(20);
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(true);
  });

  test("negative nActions refunds tokens", () => {
    const { limiter } = setup({ burstCount: 3 });
    limiter.canDoAction({ key: "a", nActions: 3 });
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(false);
    limiter.recordAction({ key: "a", nActions: -1 });
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(true);
  });

  test("counts fully on a drained bucket that has not been pruned yet", async () => {
    const { limiter, at } = setup({ perSecond: 1, burstCount: 3 });
    limiter.canDoAction({ key: "a" }); // drains at t=1, pruned at t=15
    await at(14);
    expect(limiter.has("a")).toBe(true);
    // Synapse would add to the stale start time and drop the entry, losing these three.
    limiter.recordAction({ key: "a", nActions: 3 });
    expect(limiter.canDoAction({ key: "a" }).allowed).toBe(false);
  });

  test("ignores exemptions", () => {
    const { limiter } = setup({ overrides: () => ({ messagesPerSecond: 0, burstCount: 0 }) });
    limiter.recordAction({ requester: "@u:test" });
    expect(limiter.canDoAction({ key: "@u:test" }).allowed).toBe(false);
  });
});

describe("housekeeping", () => {
  test("a drained bucket is pruned, for canDoAction and recordAction entries", async () => {
    const { limiter, at } = setup();
    limiter.canDoAction({ key: "test_id_1" });
    limiter.recordAction({ key: "test_id_2" });
    expect(limiter.has("test_id_1")).toBe(true);
    expect(limiter.has("test_id_2")).toBe(true);
    await at(60);
    expect(limiter.has("test_id_1")).toBe(false);
    expect(limiter.has("test_id_2")).toBe(false);
    expect(limiter.size).toBe(0);
  });

  test("a bucket still holding tokens survives pruning", async () => {
    const { limiter, at } = setup({ burstCount: 3 });
    limiter.canDoAction({ key: "k", nActions: 3 }); // drains at t=30
    await at(15);
    expect(limiter.has("k")).toBe(true);
    await at(45);
    expect(limiter.has("k")).toBe(false);
  });

  test("a bucket that would already be empty is removed instead of stored", () => {
    const { limiter } = setup({ burstCount: 5 });
    limiter.canDoAction({ key: "k" });
    expect(limiter.has("k")).toBe(true);
    limiter.recordAction({ key: "k", nActions: -1 });
    expect(limiter.has("k")).toBe(false);
    limiter.recordAction({ key: "new", nActions: -1 });
    expect(limiter.has("new")).toBe(false);
  });

  test("never more than maxKeys buckets; the least recently updated is dropped", () => {
    const { limiter } = setup({ maxKeys: 3, burstCount: 5 });
    for (const k of ["a", "b", "c"]) limiter.canDoAction({ key: k });
    limiter.canDoAction({ key: "a" }); // a is now the most recent
    limiter.canDoAction({ key: "d" });
    expect(limiter.size).toBe(3);
    expect(limiter.has("b")).toBe(false);
    expect(["a", "c", "d"].every((k) => limiter.has(k))).toBe(true);
    for (let i = 0; i < 100; i++) limiter.recordAction({ key: `x${i}` });
    expect(limiter.size).toBe(3);
  });

  test("stop() ends the pruning loop", () => {
    const { clock, limiter } = setup();
    expect(clock.timers.pending).toBe(1);
    limiter.stop();
    expect(clock.timers.pending).toBe(0);
  });
});

describe("exemptions and overrides (spec §3.5)", () => {
  const lookup =
    (rows: Record<string, { messagesPerSecond: number | null; burstCount: number | null }>): OverrideLookup =>
    (userId) =>
      rows[userId];

  test("an override row with nulls disables limiting for the requester", () => {
    const { limiter } = setup({ overrides: lookup({ "@u:test": { messagesPerSecond: null, burstCount: null } }) });
    for (let i = 0; i < 20; i++) {
      expect(limiter.canDoAction({ requester: "@u:test" })).toEqual({ allowed: true, timeAllowedMs: -1 });
      limiter.ratelimit({ requester: "@u:test" });
    }
    expect(limiter.size).toBe(0);
  });

  test("0/0 exempts, also for room-keyed checks with a requester, but not for key-only checks", () => {
    const { limiter } = setup({ overrides: lookup({ "@u:test": { messagesPerSecond: 0, burstCount: 0 } }) });
    for (let i = 0; i < 5; i++) {
      expect(limiter.canDoAction({ requester: "@u:test", key: "!r:test" }).timeAllowedMs).toBe(-1);
    }
    expect(limiter.canDoAction({ key: "@u:test" }).allowed).toBe(true);
    expect(limiter.canDoAction({ key: "@u:test" }).allowed).toBe(false);
    expect(limiter.canDoAction({ requester: "@other:test" }).allowed).toBe(true);
    expect(limiter.canDoAction({ requester: "@other:test" }).allowed).toBe(false);
  });

  test("a non-zero override is ignored by a generic limiter", () => {
    const { limiter } = setup({ overrides: lookup({ "@u:test": { messagesPerSecond: 100, burstCount: 50 } }) });
    expect(limiter.canDoAction({ requester: "@u:test" }).allowed).toBe(true);
    expect(limiter.canDoAction({ requester: "@u:test" }).allowed).toBe(false);
  });

  test("a non-zero override replaces rate and burst when honoured (rc_message)", async () => {
    const { limiter, at, secs } = setup({
      burstCount: 1,
      honourOverrideRates: true,
      overrides: lookup({ "@u:test": { messagesPerSecond: 2, burstCount: 4 }, "@n:test": { messagesPerSecond: 2, burstCount: null } }),
    });
    for (let i = 0; i < 4; i++) expect(limiter.canDoAction({ requester: "@u:test" }).allowed).toBe(true);
    const r = limiter.canDoAction({ requester: "@u:test" });
    expect(r.allowed).toBe(false);
    expect(secs(r.timeAllowedMs)).toBe(0.5);
    await at(0.5);
    expect(limiter.canDoAction({ requester: "@u:test" }).allowed).toBe(true);
    // A null burst keeps the configured burst of 1.
    expect(limiter.canDoAction({ requester: "@n:test" }).allowed).toBe(true);
    expect(limiter.canDoAction({ requester: "@n:test" }).allowed).toBe(false);
  });

  test("an application service with rate_limited: false is exempt; true is limited", () => {
    const { limiter } = setup();
    for (let i = 0; i < 3; i++) {
      expect(limiter.canDoAction({ requester: "@as_user:test", appServiceRateLimited: false })).toEqual({
        allowed: true,
        timeAllowedMs: -1,
      });
    }
    expect(limiter.canDoAction({ requester: "@as_user:test", appServiceRateLimited: true }).allowed).toBe(true);
    expect(limiter.canDoAction({ requester: "@as_user:test", appServiceRateLimited: true }).allowed).toBe(false);
  });
});

describe("per_second <= 0: burst only (Hearth divergence)", () => {
  test("the burst is usable once and never refills; retry_after_ms is one day", async () => {
    const { limiter, at, t0 } = setup({ perSecond: 0, burstCount: 2 });
    expect(limiter.canDoAction({ key: "k" })).toEqual({ allowed: true, timeAllowedMs: t0 });
    expect(limiter.canDoAction({ key: "k" })).toEqual({ allowed: true, timeAllowedMs: t0 + BURST_ONLY_RETRY_AFTER_MS });
    const err = catchError(() => limiter.ratelimit({ key: "k" })) as LimitExceededError;
    expect(err.retryAfterMs).toBe(BURST_ONLY_RETRY_AFTER_MS);
    expect(err.headers).toEqual({ "Retry-After": String(BURST_ONLY_RETRY_AFTER_MS / 1000) });
    await at(3600);
    expect(limiter.has("k")).toBe(true);
    expect(limiter.canDoAction({ key: "k" }).allowed).toBe(false);
  });

  test("a negative rate behaves the same", () => {
    const { limiter } = setup({ perSecond: -1, burstCount: 1 });
    expect(limiter.canDoAction({ key: "k" }).allowed).toBe(true);
    expect(limiter.canDoAction({ key: "k" }).allowed).toBe(false);
  });
});
