import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../src/config/load.ts";
import { parseDuration } from "../../src/config/schema.ts";
import { accountSettings } from "../../src/accounts/account-config.ts";
import { checkPasswordPolicy, passwordPolicyView } from "../../src/accounts/password-policy.ts";
import { PasswordHasher } from "../../src/accounts/passwords.ts";

const settingsOf = (extra: Record<string, unknown>) => accountSettings(parseConfig({ server_name: "example.org", ...extra }).config);

describe("durations, as Synapse parses them", () => {
  test("integers are milliseconds; strings take s, m, h, d, w, y or no unit (milliseconds)", () => {
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration("1500")).toBe(1500);
    expect(parseDuration("5s")).toBe(5000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("30d")).toBe(30 * 86_400_000);
    expect(parseDuration("2w")).toBe(14 * 86_400_000);
    expect(parseDuration("1y")).toBe(365 * 86_400_000);
  });

  test("anything else is refused, naming the key", () => {
    for (const bad of ["5x", "", "m", "-5m", "1.5h", 1.5, -1, true]) expect(parseDuration(bad)).toBeUndefined();
    expect(() => parseConfig({ server_name: "example.org", session_lifetime: "5 minutes" })).toThrow(/session_lifetime: expected a duration/);
    expect(() => parseConfig({ server_name: "example.org", ui_auth: { session_timeout: [] } })).toThrow(/ui_auth.session_timeout/);
  });
});

describe("account settings", () => {
  test("Synapse's defaults", () => {
    const s = settingsOf({});
    expect(s.lifetimes).toEqual({ refreshableAccessMs: 300_000, refreshTokenMs: null, nonrefreshableAccessMs: null, sessionMs: null });
    expect(s.passwords).toEqual({ login: true, reauth: true, localdb: true, pepper: "", policy: undefined });
    expect(s.inhibitUserInUseError).toBe(false);
    expect(s.enableSetDisplayname).toBe(true);
    expect(s.enableSetAvatarUrl).toBe(true);
    expect(s.enable3pidChanges).toBe(false);
    expect(s.requireAuthForProfileRequests).toBe(false);
    expect(s.limitProfileRequestsToUsersWhoShareRooms).toBe(false);
    expect(s.uiAuthSessionTimeoutMs).toBe(0);
    expect(s.autoJoin).toMatchObject({ rooms: [], autocreate: true, federated: true, preset: "public_chat", forGuests: true });
    expect(s.userTypes).toEqual(["support", "bot"]);
    expect(s.defaultUserType).toBeNull();
  });

  test("lifetimes; refreshable_access_token_lifetime: null disables refresh tokens", () => {
    const s = settingsOf({
      session_lifetime: "30d",
      refreshable_access_token_lifetime: "10m",
      refresh_token_lifetime: "1d",
      nonrefreshable_access_token_lifetime: "1h",
    });
    expect(s.lifetimes).toEqual({ refreshableAccessMs: 600_000, refreshTokenMs: 86_400_000, nonrefreshableAccessMs: 3_600_000, sessionMs: 30 * 86_400_000 });
    expect(settingsOf({ refreshable_access_token_lifetime: null }).lifetimes.refreshableAccessMs).toBeNull();
  });

  test("a token lifetime longer than session_lifetime is a config error (the default 5m is not compared)", () => {
    expect(() => settingsOf({ session_lifetime: "1h", refresh_token_lifetime: "2h" })).toThrow(/refresh_token_lifetime.*exceeds `session_lifetime`/);
    expect(() => settingsOf({ session_lifetime: "1h", nonrefreshable_access_token_lifetime: "2h" })).toThrow(/nonrefreshable_access_token_lifetime/);
    expect(() => settingsOf({ session_lifetime: "1m", refreshable_access_token_lifetime: "2m" })).toThrow(/refreshable_access_token_lifetime/);
    expect(settingsOf({ session_lifetime: "1m" }).lifetimes.sessionMs).toBe(60_000);
  });

  test("password_config: enabled false / only_for_reauth, localdb, pepper, policy only when its enabled is set", () => {
    expect(settingsOf({ password_config: { enabled: false } }).passwords).toMatchObject({ login: false, reauth: false });
    expect(settingsOf({ password_config: { enabled: "only_for_reauth" } }).passwords).toMatchObject({ login: false, reauth: true });
    expect(settingsOf({ password_config: { localdb_enabled: false, pepper: "p" } }).passwords).toMatchObject({ localdb: false, pepper: "p" });
    expect(settingsOf({ password_config: { policy: { minimum_length: 8 } } }).passwords.policy).toBeUndefined();
    expect(settingsOf({ password_config: { policy: { enabled: true, minimum_length: 8, require_digit: true } } }).passwords.policy).toEqual({
      minimum_length: 8,
      require_digit: true,
      require_symbol: false,
      require_lowercase: false,
      require_uppercase: false,
    });
    expect(() => parseConfig({ server_name: "example.org", password_config: { enabled: "sometimes" } })).toThrow(/password_config.enabled/);
  });

  test("auto_join_rooms entries must be aliases or room ids; invite-only presets need auto_join_mxid_localpart", () => {
    expect(settingsOf({ auto_join_rooms: ["#lobby:example.org", "!abc:example.org"] }).autoJoin.rooms).toHaveLength(2);
    expect(() => settingsOf({ auto_join_rooms: ["lobby"] })).toThrow(/Invalid auto_join_rooms entry lobby/);
    expect(() => settingsOf({ auto_join_rooms: ["#a:example.org"], autocreate_auto_join_room_preset: "private_chat" })).toThrow(
      /auto_join_mxid_localpart/,
    );
    const s = settingsOf({ autocreate_auto_join_room_preset: "private_chat", auto_join_mxid_localpart: "system" });
    expect(s.autoJoin).toMatchObject({ requiresInvite: true, creatorUserId: "@system:example.org" });
  });

  test("user_types: the default type must be known", () => {
    const s = settingsOf({ user_types: { extra_user_types: ["custom"], default_user_type: "custom" } });
    expect(s.userTypes).toEqual(["support", "bot", "custom"]);
    expect(s.defaultUserType).toBe("custom");
    expect(() => settingsOf({ user_types: { default_user_type: "nope" } })).toThrow(/default_user_type/);
  });
});

describe("password policy", () => {
  const policy = { minimum_length: 8, require_digit: true, require_symbol: true, require_lowercase: true, require_uppercase: true };
  const errcode = (pw: string) => {
    try {
      checkPasswordPolicy(pw, policy);
      return "ok";
    } catch (err) {
      return (err as { errcode: string }).errcode;
    }
  };

  test("Synapse's errcodes, checked in Synapse's order", () => {
    expect(errcode("Aa1!")).toBe("M_PASSWORD_TOO_SHORT");
    expect(errcode("Aaaaaaaa!")).toBe("M_PASSWORD_NO_DIGIT");
    expect(errcode("Aaaaaaaa1")).toBe("M_PASSWORD_NO_SYMBOL");
    expect(errcode("aaaaaaa1!")).toBe("M_PASSWORD_NO_UPPERCASE");
    expect(errcode("AAAAAAA1!")).toBe("M_PASSWORD_NO_LOWERCASE");
    expect(errcode("Aaaaaaa1!")).toBe("ok");
    // Length counts characters, not UTF-16 units or bytes.
    expect(errcode("Aa1!😀😀😀")).toBe("M_PASSWORD_TOO_SHORT");
    expect(() => checkPasswordPolicy("x", undefined)).not.toThrow();
  });

  test("GET /password_policy's body", () => {
    expect(passwordPolicyView(undefined)).toEqual({});
    expect(passwordPolicyView(policy)).toEqual({
      "m.minimum_length": 8,
      "m.require_digit": true,
      "m.require_symbol": true,
      "m.require_lowercase": true,
      "m.require_uppercase": true,
    });
  });
});

describe("password hashing", () => {
  test("the pepper is part of the hash: the same password without it does not verify", async () => {
    const peppered = new PasswordHasher("pepper!");
    const hash = await peppered.hash("hunter2");
    expect(hash.startsWith("$argon2id$")).toBe(true);
    expect(await peppered.verify("hunter2", hash)).toBe(true);
    expect(await peppered.verify("hunter3", hash)).toBe(false);
    expect(await new PasswordHasher().verify("hunter2", hash)).toBe(false);
    expect(await new PasswordHasher().verify("hunter2pepper!", hash)).toBe(true);
  });

  test("passwords are NFKC-normalised, as in Synapse", async () => {
    const hasher = new PasswordHasher();
    // "ﬁ" (U+FB01) normalises to "fi"; a composed é matches a decomposed one.
    expect(await hasher.verify("ﬁsh", await hasher.hash("fish"))).toBe(true);
    expect(await hasher.verify("caf\u0065\u0301", await hasher.hash("caf\u00e9"))).toBe(true);
  });

  test("bcrypt hashes from Synapse: password + pepper, truncated to 72 bytes", async () => {
    const long = "x".repeat(70);
    // What Synapse stores: bcrypt over the first 72 bytes of password + pepper.
    const synapseHash = await Bun.password.hash(new TextEncoder().encode(`${long}pepper`).subarray(0, 72), { algorithm: "bcrypt", cost: 4 });
    expect(await new PasswordHasher("pepper").verify(long, synapseHash)).toBe(true);
    expect(await new PasswordHasher("pe").verify(long, synapseHash)).toBe(true); // the same 72 bytes
    expect(await new PasswordHasher("other").verify(long, synapseHash)).toBe(false);
    expect(await new PasswordHasher().verify(long, synapseHash)).toBe(false);
  });
});
