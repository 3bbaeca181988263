import * as v from "valibot";

/** One token bucket's settings. `name` is the config key, used as the limiter's debug name. */
export interface RatelimitSettings {
  name: string;
  perSecond: number;
  burstCount: number;
}

/** rc_federation is not a token bucket: inbound requests per origin are delayed or rejected. */
export interface FederationRatelimitSettings {
  windowSize: number;
  sleepLimit: number;
  sleepDelay: number;
  rejectLimit: number;
  concurrent: number;
}

export interface RateLimitConfig {
  rc_message: RatelimitSettings;
  /** Absent unless configured: admin redactions then count against rc_message. */
  rc_admin_redaction?: RatelimitSettings;
  rc_registration: RatelimitSettings;
  rc_registration_token_validity: RatelimitSettings;
  rc_login: { address: RatelimitSettings; account: RatelimitSettings; failedAttempts: RatelimitSettings };
  rc_joins: { local: RatelimitSettings; remote: RatelimitSettings };
  rc_joins_per_room: RatelimitSettings;
  rc_3pid_validation: RatelimitSettings;
  rc_invites: { perRoom: RatelimitSettings; perUser: RatelimitSettings; perIssuer: RatelimitSettings };
  rc_third_party_invite: RatelimitSettings;
  rc_media_create: RatelimitSettings;
  rc_presence: { perUser: RatelimitSettings };
  rc_delayed_event_mgmt: RatelimitSettings;
  rc_reports: RatelimitSettings;
  rc_room_creation: RatelimitSettings;
  rc_user_directory: RatelimitSettings;
  rc_key_requests: RatelimitSettings;
  rc_federation: FederationRatelimitSettings;
}

// Synapse's fallback for limiters parsed "without defaults" (rc_registration,
// rc_login.failed_attempts, rc_admin_redaction).
const NO_DEFAULTS: [number, number] = [0.17, 3];

const num = () => v.pipe(v.number("expected a number"), v.finite("expected a finite number"));
// Synapse applies int() to burst_count: truncation toward zero.
const int = () => v.pipe(num(), v.transform((n) => Math.trunc(n)));

// YAML `rc_x:` with nothing after it is null; treat it like an empty mapping.
function mapping<E extends v.ObjectEntries>(entries: E, what: string) {
  const msg = `expected a mapping of ${what}`;
  return v.pipe(
    v.unknown(),
    v.transform((x) => x ?? {}),
    v.check((x) => typeof x === "object" && x !== null && !Array.isArray(x), msg),
    v.object(entries, msg),
  );
}

/** A missing key reads as an empty mapping, so each sub-key takes its default. */
const defaulted = <S extends v.GenericSchema>(schema: S) => v.optional(schema, null);

function settings(name: string, [perSecond, burstCount]: [number, number]) {
  return v.pipe(
    mapping({ per_second: v.optional(num(), perSecond), burst_count: v.optional(int(), burstCount) }, "per_second and burst_count"),
    v.transform((b): RatelimitSettings => ({ name, perSecond: b.per_second, burstCount: b.burst_count })),
  );
}

const bucket = (name: string, dflt: [number, number]) => defaulted(settings(name, dflt));

/**
 * The `rc_*` entries of homeserver.yaml with Synapse's keys and defaults
 * (behaviour spec §3.3, §3.4). Spread into the main config object schema,
 * then hand the parsed result to `normaliseRateLimitConfig`.
 */
export const rateLimitConfigEntries = {
  // Left undefined when absent so the legacy spellings can take over.
  rc_message: v.optional(settings("rc_message", [0.2, 10])),
  rc_messages_per_second: v.optional(num()),
  rc_message_burst_count: v.optional(int()),
  rc_admin_redaction: v.optional(settings("rc_admin_redaction", NO_DEFAULTS)),
  rc_registration: bucket("rc_registration", NO_DEFAULTS),
  rc_registration_token_validity: bucket("rc_registration_token_validity", [0.1, 5]),
  rc_login: defaulted(
    v.pipe(
      mapping(
        {
          address: bucket("rc_login.address", [0.003, 5]),
          account: bucket("rc_login.account", [0.003, 5]),
          failed_attempts: bucket("rc_login.failed_attempts", NO_DEFAULTS),
        },
        "address, account and failed_attempts",
      ),
      v.transform((s) => ({ address: s.address, account: s.account, failedAttempts: s.failed_attempts })),
    ),
  ),
  rc_joins: defaulted(
    mapping({ local: bucket("rc_joins.local", [0.1, 10]), remote: bucket("rc_joins.remote", [0.01, 10]) }, "local and remote"),
  ),
  rc_joins_per_room: bucket("rc_joins_per_room", [1, 10]),
  rc_3pid_validation: bucket("rc_3pid_validation", [0.003, 5]),
  rc_invites: defaulted(
    v.pipe(
      mapping(
        {
          per_room: bucket("rc_invites.per_room", [0.3, 10]),
          per_user: bucket("rc_invites.per_user", [0.003, 5]),
          per_issuer: bucket("rc_invites.per_issuer", [0.3, 10]),
        },
        "per_room, per_user and per_issuer",
      ),
      v.transform((s) => ({ perRoom: s.per_room, perUser: s.per_user, perIssuer: s.per_issuer })),
    ),
  ),
  // Synapse's docs claim 0.2 / 10; its code (which we follow) says 0.0025 / 5.
  rc_third_party_invite: bucket("rc_third_party_invite", [0.0025, 5]),
  rc_media_create: bucket("rc_media_create", [10, 50]),
  rc_presence: defaulted(
    v.pipe(
      mapping({ per_user: bucket("rc_presence.per_user", [0.1, 1]) }, "per_user"),
      v.transform((s) => ({ perUser: s.per_user })),
    ),
  ),
  rc_delayed_event_mgmt: bucket("rc_delayed_event_mgmt", [1, 5]),
  rc_reports: bucket("rc_reports", [1, 5]),
  rc_room_creation: bucket("rc_room_creation", [0.016, 10]),
  rc_user_directory: bucket("rc_user_directory", [0.016, 200]),
  rc_key_requests: bucket("rc_key_requests", [20, 100]),
  rc_federation: v.optional(
    mapping(
      {
        window_size: v.optional(num()),
        sleep_limit: v.optional(num()),
        sleep_delay: v.optional(num()),
        reject_limit: v.optional(num()),
        concurrent: v.optional(num()),
      },
      "window_size, sleep_limit, sleep_delay, reject_limit and concurrent",
    ),
  ),
  federation_rc_window_size: v.optional(num()),
  federation_rc_sleep_limit: v.optional(num()),
  federation_rc_sleep_delay: v.optional(num()),
  federation_rc_reject_limit: v.optional(num()),
  federation_rc_concurrent: v.optional(num()),
};

export const rateLimitConfigSchema = v.object(rateLimitConfigEntries);
export type RawRateLimitConfig = v.InferOutput<typeof rateLimitConfigSchema>;

/** Turns the parsed `rc_*` entries (or a whole parsed config holding them) into the normalised form. */
export function normaliseRateLimitConfig(raw: RawRateLimitConfig): RateLimitConfig {
  return {
    // The legacy spellings count only when rc_message is absent; Synapse then names the limiter rc_messages.
    rc_message: raw.rc_message ?? {
      name: "rc_messages",
      perSecond: raw.rc_messages_per_second ?? 0.2,
      burstCount: raw.rc_message_burst_count ?? 10,
    },
    ...(raw.rc_admin_redaction ? { rc_admin_redaction: raw.rc_admin_redaction } : {}),
    rc_registration: raw.rc_registration,
    rc_registration_token_validity: raw.rc_registration_token_validity,
    rc_login: raw.rc_login,
    rc_joins: raw.rc_joins,
    rc_joins_per_room: raw.rc_joins_per_room,
    rc_3pid_validation: raw.rc_3pid_validation,
    rc_invites: raw.rc_invites,
    rc_third_party_invite: raw.rc_third_party_invite,
    rc_media_create: raw.rc_media_create,
    rc_presence: raw.rc_presence,
    rc_delayed_event_mgmt: raw.rc_delayed_event_mgmt,
    rc_reports: raw.rc_reports,
    rc_room_creation: raw.rc_room_creation,
    rc_user_directory: raw.rc_user_directory,
    rc_key_requests: raw.rc_key_requests,
    rc_federation: normaliseFederation(raw),
  };
}

/** Parses a mapping holding `rc_*` keys; throws valibot's ValiError on bad values. */
export function parseRateLimitConfig(input: unknown): RateLimitConfig {
  return normaliseRateLimitConfig(v.parse(rateLimitConfigSchema, input ?? {}));
}

function normaliseFederation(raw: RawRateLimitConfig): FederationRatelimitSettings {
  // As in Synapse, the legacy federation_rc_* keys are read only when rc_federation is absent.
  const src = raw.rc_federation ?? {
    window_size: raw.federation_rc_window_size,
    sleep_limit: raw.federation_rc_sleep_limit,
    sleep_delay: raw.federation_rc_sleep_delay,
    reject_limit: raw.federation_rc_reject_limit,
    concurrent: raw.federation_rc_concurrent,
  };
  return {
    windowSize: src.window_size ?? 1000,
    sleepLimit: src.sleep_limit ?? 10,
    sleepDelay: src.sleep_delay ?? 500,
    rejectLimit: src.reject_limit ?? 50,
    concurrent: src.concurrent ?? 3,
  };
}
