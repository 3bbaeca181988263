import { describe, test, expect } from "bun:test";
import * as v from "valibot";
import {
  normaliseRateLimitConfig,
  parseRateLimitConfig,
  rateLimitConfigEntries,
  rateLimitConfigSchema,
} from "../../src/ratelimit/config.ts";

const issues = (input: unknown) => {
  const r = v.safeParse(rateLimitConfigSchema, input);
  expect(r.success).toBe(false);
  return (r.issues ?? []).map((i) => [v.getDotPath(i), i.message]);
};

describe("rc_* defaults (spec §3.4)", () => {
  test("an empty config gets Synapse's defaults for every limiter", () => {
    const c = parseRateLimitConfig({});
    const pair = (s: { perSecond: number; burstCount: number }) => [s.perSecond, s.burstCount];
    expect(pair(c.rc_message)).toEqual([0.2, 10]);
    expect(c.rc_message.name).toBe("rc_messages"); // Synapse takes the legacy path when rc_message is absent
    expect(c.rc_admin_redaction).toBeUndefined();
    expect(pair(c.rc_registration)).toEqual([0.17, 3]);
    expect(pair(c.rc_registration_token_validity)).toEqual([0.1, 5]);
    expect(pair(c.rc_login.address)).toEqual([0.003, 5]);
    expect(pair(c.rc_login.account)).toEqual([0.003, 5]);
    expect(pair(c.rc_login.failedAttempts)).toEqual([0.17, 3]);
    expect(pair(c.rc_joins.local)).toEqual([0.1, 10]);
    expect(pair(c.rc_joins.remote)).toEqual([0.01, 10]);
    expect(pair(c.rc_joins_per_room)).toEqual([1, 10]);
    expect(pair(c.rc_3pid_validation)).toEqual([0.003, 5]);
    expect(pair(c.rc_invites.perRoom)).toEqual([0.3, 10]);
    expect(pair(c.rc_invites.perUser)).toEqual([0.003, 5]);
    expect(pair(c.rc_invites.perIssuer)).toEqual([0.3, 10]);
    expect(pair(c.rc_third_party_invite)).toEqual([0.0025, 5]);
    expect(pair(c.rc_media_create)).toEqual([10, 50]);
    expect(pair(c.rc_presence.perUser)).toEqual([0.1, 1]);
    expect(pair(c.rc_delayed_event_mgmt)).toEqual([1, 5]);
    expect(pair(c.rc_reports)).toEqual([1, 5]);
    expect(pair(c.rc_room_creation)).toEqual([0.016, 10]);
    expect(pair(c.rc_user_directory)).toEqual([0.016, 200]);
    expect(pair(c.rc_key_requests)).toEqual([20, 100]);
    expect(c.rc_federation).toEqual({ windowSize: 1000, sleepLimit: 10, sleepDelay: 500, rejectLimit: 50, concurrent: 3 });
  });

  test("limiter names are the dotted config keys", () => {
    const c = parseRateLimitConfig({});
    expect(c.rc_login.failedAttempts.name).toBe("rc_login.failed_attempts");
    expect(c.rc_invites.perIssuer.name).toBe("rc_invites.per_issuer");
    expect(c.rc_room_creation.name).toBe("rc_room_creation");
  });
});

describe("parsing (spec §3.3)", () => {
  test("dotted keys at depth 1 and 2, with missing sub-keys defaulted one by one", () => {
    const c = parseRateLimitConfig({
      rc_room_creation: { per_second: 1 },
      rc_login: { address: { burst_count: 7 }, failed_attempts: { per_second: 0.5, burst_count: 2 } },
      rc_invites: { per_user: { per_second: 0.25 } },
    });
    expect(c.rc_room_creation).toEqual({ name: "rc_room_creation", perSecond: 1, burstCount: 10 });
    expect(c.rc_login.address).toEqual({ name: "rc_login.address", perSecond: 0.003, burstCount: 7 });
    expect(c.rc_login.account).toEqual({ name: "rc_login.account", perSecond: 0.003, burstCount: 5 });
    expect(c.rc_login.failedAttempts).toEqual({ name: "rc_login.failed_attempts", perSecond: 0.5, burstCount: 2 });
    expect(c.rc_invites.perUser.perSecond).toBe(0.25);
    expect(c.rc_invites.perRoom.perSecond).toBe(0.3);
  });

  test("burst_count is truncated to an integer, per_second stays a float", () => {
    const c = parseRateLimitConfig({ rc_reports: { per_second: 0.75, burst_count: 3.9 }, rc_joins: { local: { burst_count: -2.5 } } });
    expect(c.rc_reports).toEqual({ name: "rc_reports", perSecond: 0.75, burstCount: 3 });
    expect(c.rc_joins.local.burstCount).toBe(-2);
  });

  test("legacy rc_messages_per_second / rc_message_burst_count apply only without rc_message", () => {
    const legacy = parseRateLimitConfig({ rc_messages_per_second: 0.5, rc_message_burst_count: 20 });
    expect(legacy.rc_message).toEqual({ name: "rc_messages", perSecond: 0.5, burstCount: 20 });
    expect(parseRateLimitConfig({ rc_message_burst_count: 4 }).rc_message).toEqual({
      name: "rc_messages",
      perSecond: 0.2,
      burstCount: 4,
    });
    const both = parseRateLimitConfig({ rc_message: { per_second: 1 }, rc_messages_per_second: 0.5, rc_message_burst_count: 20 });
    expect(both.rc_message).toEqual({ name: "rc_message", perSecond: 1, burstCount: 10 });
  });

  test("rc_admin_redaction, when present, falls back to 0.17 / 3 per sub-key", () => {
    expect(parseRateLimitConfig({ rc_admin_redaction: {} }).rc_admin_redaction).toEqual({
      name: "rc_admin_redaction",
      perSecond: 0.17,
      burstCount: 3,
    });
    expect(parseRateLimitConfig({ rc_admin_redaction: { per_second: 1 } }).rc_admin_redaction?.burstCount).toBe(3);
  });

  test("an empty YAML section (null) takes the defaults", () => {
    const c = parseRateLimitConfig(Bun.YAML.parse("rc_login:\nrc_joins:\n  local:\nrc_message:\n"));
    expect(c.rc_login.address.perSecond).toBe(0.003);
    expect(c.rc_joins.local).toEqual({ name: "rc_joins.local", perSecond: 0.1, burstCount: 10 });
    expect(c.rc_message).toEqual({ name: "rc_message", perSecond: 0.2, burstCount: 10 });
  });

  test("reads homeserver.yaml text", () => {
    const yaml = [
      "rc_message:",
      "  per_second: 0.5",
      "  burst_count: 30",
      "rc_room_creation:",
      "  burst_count: 3.0",
      "rc_federation:",
      "  window_size: 750",
      "  concurrent: 5",
    ].join("\n");
    const c = parseRateLimitConfig(Bun.YAML.parse(yaml));
    expect(c.rc_message).toEqual({ name: "rc_message", perSecond: 0.5, burstCount: 30 });
    expect(c.rc_room_creation).toEqual({ name: "rc_room_creation", perSecond: 0.016, burstCount: 3 });
    expect(c.rc_federation).toEqual({ windowSize: 750, sleepLimit: 10, sleepDelay: 500, rejectLimit: 50, concurrent: 5 });
  });

  test("legacy federation_rc_* keys feed rc_federation only when it is absent", () => {
    expect(parseRateLimitConfig({ federation_rc_sleep_limit: 20 }).rc_federation.sleepLimit).toBe(20);
    expect(parseRateLimitConfig({ federation_rc_sleep_limit: 20, rc_federation: {} }).rc_federation.sleepLimit).toBe(10);
  });

  test("wrong types give valibot issues naming the path", () => {
    expect(issues({ rc_login: { address: { per_second: "fast" } } })).toEqual([
      ["rc_login.address.per_second", "expected a number"],
    ]);
    expect(issues({ rc_room_creation: { burst_count: true } })).toEqual([["rc_room_creation.burst_count", "expected a number"]]);
    expect(issues({ rc_joins: [1, 2] })).toEqual([["rc_joins", "expected a mapping of local and remote"]]);
    expect(issues({ rc_reports: 5 })).toEqual([["rc_reports", "expected a mapping of per_second and burst_count"]]);
    expect(issues({ rc_messages_per_second: "0.2" })).toEqual([["rc_messages_per_second", "expected a number"]]);
    expect(issues({ rc_message: { per_second: Infinity } })).toEqual([["rc_message.per_second", "expected a finite number"]]);
  });

  test("the entries spread into a bigger schema; normalise accepts the whole parsed config", () => {
    const schema = v.object({ server_name: v.string(), ...rateLimitConfigEntries });
    const parsed = v.parse(schema, { server_name: "test", rc_presence: { per_user: { per_second: 2 } } });
    const c = normaliseRateLimitConfig(parsed);
    expect(c.rc_presence.perUser).toEqual({ name: "rc_presence.per_user", perSecond: 2, burstCount: 1 });
  });
});
