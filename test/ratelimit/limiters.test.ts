import { describe, test, expect } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import { parseRateLimitConfig } from "../../src/ratelimit/config.ts";
import { LimitExceededError, type OverrideLookup } from "../../src/ratelimit/limiter.ts";
import { checkRoomCreation, createRateLimiters } from "../../src/ratelimit/limiters.ts";

const noOverrides: OverrideLookup = () => undefined;
const alice = "@alice:test";

function setup(rc: Record<string, unknown> = {}, overrides = noOverrides) {
  const clock = new FakeClock();
  const limiters = createRateLimiters(parseRateLimitConfig(rc), clock, overrides);
  return { clock, limiters };
}

function rejection(fn: () => void): LimitExceededError {
  try {
    fn();
  } catch (err) {
    if (err instanceof LimitExceededError) return err;
    throw err;
  }
  throw new Error("expected a 429");
}

describe("createRateLimiters", () => {
  test("each limiter carries its config key and settings", () => {
    const { limiters } = setup({ rc_login: { account: { per_second: 0.5 } } });
    expect(limiters.roomCreation.name).toBe("rc_room_creation");
    expect([limiters.roomCreation.perSecond, limiters.roomCreation.burstCount]).toEqual([0.016, 10]);
    expect(limiters.loginAccount.name).toBe("rc_login.account");
    expect(limiters.loginAccount.perSecond).toBe(0.5);
    expect(limiters.invitesPerUser.name).toBe("rc_invites.per_user");
    expect(limiters.presence.burstCount).toBe(1);
    expect(limiters.adminRedaction).toBeUndefined();
    limiters.stopAll();
  });

  test("rc_admin_redaction builds its own limiter only when configured", () => {
    const { limiters } = setup({ rc_admin_redaction: { per_second: 1, burst_count: 50 } });
    expect(limiters.adminRedaction?.burstCount).toBe(50);
    limiters.stopAll();
  });

  test("only the message limiter honours non-zero overrides", () => {
    const overrides: OverrideLookup = (u) => (u === alice ? { messagesPerSecond: 1, burstCount: 100 } : undefined);
    const { limiters } = setup({}, overrides);
    for (let i = 0; i < 50; i++) limiters.message.ratelimit({ requester: alice });
    for (let i = 0; i < 5; i++) limiters.reports.ratelimit({ requester: alice });
    expect(() => limiters.reports.ratelimit({ requester: alice })).toThrow(LimitExceededError);
    limiters.stopAll();
  });

  test("stopAll stops every pruning loop", () => {
    const { clock, limiters } = setup();
    expect(clock.timers.pending).toBeGreaterThan(20);
    limiters.stopAll();
    expect(clock.timers.pending).toBe(0);
  });
});

describe("checkRoomCreation (spec §3.6)", () => {
  test("with the defaults, 10 creations at t=0 pass and the 11th is 429 after 62500 ms", () => {
    const { limiters } = setup();
    for (let i = 0; i < 10; i++) checkRoomCreation(limiters, alice);
    const err = rejection(() => checkRoomCreation(limiters, alice));
    expect(err.status).toBe(429);
    expect(err.limiterName).toBe("rc_room_creation");
    expect(err.toJSON()).toEqual({ errcode: "M_LIMIT_EXCEEDED", error: "Too Many Requests", retry_after_ms: 62500 });
    expect(err.headers).toEqual({ "Retry-After": "63" });
    limiters.stopAll();
  });

  test("a room-creation token comes back after 62.5 s", async () => {
    const { clock, limiters } = setup();
    for (let i = 0; i < 10; i++) checkRoomCreation(limiters, alice);
    await clock.advance(62_499);
    expect(() => checkRoomCreation(limiters, alice)).toThrow(LimitExceededError);
    await clock.advance(1);
    checkRoomCreation(limiters, alice);
    expect(() => checkRoomCreation(limiters, alice)).toThrow(LimitExceededError);
    limiters.stopAll();
  });

  test("a room-creation denial consumes no rc_message token", () => {
    const { limiters } = setup({ rc_message: { per_second: 0.2, burst_count: 12 } });
    for (let i = 0; i < 10; i++) checkRoomCreation(limiters, alice);
    for (let i = 0; i < 5; i++) expect(() => checkRoomCreation(limiters, alice)).toThrow(LimitExceededError);
    expect(limiters.message.canDoAction({ requester: alice, nActions: 2, update: false }).allowed).toBe(true);
    limiters.stopAll();
  });

  test("a denial by rc_message does not consume a room-creation token", () => {
    const { limiters } = setup();
    for (let i = 0; i < 10; i++) limiters.message.ratelimit({ requester: alice });
    const err = rejection(() => checkRoomCreation(limiters, alice));
    expect(err.limiterName).toBe("rc_messages"); // the legacy name, as rc_message is not configured
    expect(err.retryAfterMs).toBe(5000);
    expect(limiters.roomCreation.canDoAction({ requester: alice, nActions: 10, update: false }).allowed).toBe(true);
    expect(limiters.roomCreation.has(alice)).toBe(false);
    limiters.stopAll();
  });

  test("creations and upgrades share the same budget per user", () => {
    const { limiters } = setup({ rc_message: { burst_count: 100 } });
    for (let i = 0; i < 10; i++) checkRoomCreation(limiters, alice);
    expect(() => checkRoomCreation(limiters, alice)).toThrow(LimitExceededError);
    checkRoomCreation(limiters, "@bob:test");
    limiters.stopAll();
  });

  test("an override of 0 exempts the user from both limiters", () => {
    const { limiters } = setup({}, (u) => (u === alice ? { messagesPerSecond: 0, burstCount: 0 } : undefined));
    for (let i = 0; i < 30; i++) checkRoomCreation(limiters, alice);
    limiters.stopAll();
  });

  test("an application service sender skips rc_message but not rc_room_creation", () => {
    const { limiters } = setup({ rc_message: { burst_count: 1 } });
    for (let i = 0; i < 10; i++) checkRoomCreation(limiters, alice, { isAppServiceSender: true });
    expect(rejection(() => checkRoomCreation(limiters, alice, { isAppServiceSender: true })).limiterName).toBe(
      "rc_room_creation",
    );
    limiters.stopAll();
  });
});
