import * as v from "valibot";

/** Builders whose messages read as "expected ..., got ..." once the loader adds the value. */
export const intRange = (min: number, max: number) => {
  const msg = `expected an integer from ${min} to ${max}`;
  return v.pipe(v.number(msg), v.integer(msg), v.minValue(min, msg), v.maxValue(max, msg));
};
const str = (what = "a string") => v.string(`expected ${what}`);
const bool = () => v.boolean("expected true or false");
const optBool = (dflt: boolean) => v.optional(bool(), dflt);

const resource = v.object({
  names: v.array(
    v.picklist(
      ["client", "federation", "metrics", "media", "keys", "openid", "health", "replication", "static", "consent"],
      "expected one of client, federation, metrics, media, keys, openid, health, replication, static, consent",
    ),
    "expected a list of resource names",
  ),
  compress: optBool(false),
});

export const listenerSchema = v.object({
  port: intRange(1, 65535),
  bind_addresses: v.optional(v.array(str("an address")), ["::", "0.0.0.0"]),
  type: v.optional(v.picklist(["http", "metrics"], "expected http or metrics"), "http"),
  tls: v.optional(v.literal(false, "TLS termination is not supported: put a reverse proxy in front"), false),
  x_forwarded: optBool(false),
  request_id_header: v.optional(str()),
  resources: v.optional(v.array(resource, "expected a list of resources"), []),
});
export type ListenerConfig = v.InferOutput<typeof listenerSchema>;

const sqliteDb = v.object({
  name: v.picklist(["sqlite3", "sqlite"]),
  args: v.optional(
    v.object({
      database: v.optional(str("a file path"), "homeserver.db"),
      /**
       * Hearth extension: hold the database file's locks while running (no lock system
       * calls per transaction). false lets other processes (the sqlite3 shell, a backup)
       * open the database while Hearth runs.
       */
      exclusive_lock: optBool(true),
    }),
    {},
  ),
});

const postgresDb = v.object({
  name: v.picklist(["psycopg2", "postgres", "postgresql"]),
  allow_unsafe_locale: v.optional(bool()),
  args: v.optional(
    v.object({
      url: v.optional(str("a postgres:// URL")),
      user: v.optional(str()),
      password: v.optional(str()),
      dbname: v.optional(str()),
      database: v.optional(str()),
      host: v.optional(str()),
      port: v.optional(intRange(1, 65535)),
      /** Hearth extension: the PostgreSQL schema (search_path) to use. */
      schema: v.optional(str()),
      cp_min: v.optional(intRange(1, 1000), 5),
      cp_max: v.optional(intRange(1, 1000), 10),
    }),
    {},
  ),
});

export const databaseSchema = v.variant(
  "name",
  [sqliteDb, postgresDb],
  "expected name to be sqlite3 (or sqlite) or psycopg2 (or postgres)",
);

export const masSchema = v.object({
  enabled: optBool(false),
  endpoint: v.optional(str("a URL"), "http://localhost:8080/"),
  secret: v.nullish(str()),
  secret_path: v.nullish(str("a file path")),
  force_http2: optBool(false),
});

/**
 * Synapse's durations: an integer of milliseconds, or a string of digits with an
 * optional unit s, m, h, d, w or y (no unit = milliseconds). Undefined when malformed.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^(\d+)([smhdwy]?)$/.exec(value);
  if (!m) return undefined;
  const unit = { "": 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[m[2]!]!;
  const ms = Number(m[1]) * unit;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

const duration = () => {
  const msg = "expected a duration like 5m, 1h or 30d, or a number of milliseconds";
  return v.pipe(
    v.union([v.number(msg), v.string(msg)], msg),
    v.check((x) => parseDuration(x) !== undefined, msg),
    v.transform((x) => parseDuration(x)!),
  );
};

/** A mapping whose keys all have defaults: absent and YAML's empty `key:` (null) read as {}. */
function section<E extends v.ObjectEntries>(entries: E, what: string) {
  const msg = `expected a mapping of ${what}`;
  // optional() so that an absent key is parsed (from its default) rather than reported missing.
  return v.optional(
    v.pipe(
      v.unknown(),
      v.transform((x) => x ?? {}),
      v.check((x) => typeof x === "object" && x !== null && !Array.isArray(x), msg),
      v.object(entries, msg),
    ),
    {},
  );
}

const passwordPolicy = section(
  {
    enabled: optBool(false),
    minimum_length: v.optional(intRange(0, 512), 0),
    require_digit: optBool(false),
    require_symbol: optBool(false),
    require_lowercase: optBool(false),
    require_uppercase: optBool(false),
  },
  "enabled, minimum_length, require_digit, require_symbol, require_lowercase and require_uppercase",
);

/** Keys Hearth knows. Everything else in a Synapse config is warned about and ignored. */
export const knownEntries = {
  server_name: str("a server name"),
  public_baseurl: v.optional(v.pipe(str("a URL"), v.url("expected an http(s) URL"))),
  serve_server_wellknown: optBool(false),
  listeners: v.optional(v.array(listenerSchema, "expected a list of listeners"), []),
  database: v.optional(databaseSchema, { name: "sqlite3", args: { database: "homeserver.db" } }),
  signing_key_path: v.optional(str("a file path")),
  registration_shared_secret: v.optional(str()),
  registration_shared_secret_path: v.optional(str("a file path")),
  enable_registration: optBool(false),
  enable_registration_without_verification: optBool(false),
  registration_requires_token: optBool(false),
  allow_guest_access: optBool(false),
  media_store_path: v.optional(str("a directory path"), "media_store"),
  max_upload_size: v.optional(v.union([v.number(), v.string()], "expected a size like 50M"), "50M"),
  log_config: v.optional(str("a file path")),
  log_level: v.optional(
    v.picklist(["trace", "debug", "info", "warning", "warn", "error", "fatal", "critical"], "expected a log level"),
    "info",
  ),
  enable_metrics: optBool(false),
  report_stats: v.optional(v.unknown()),
  pid_file: v.optional(v.unknown()),
  matrix_authentication_service: v.nullish(masSchema),
  experimental_features: v.optional(v.record(v.string(), v.unknown()), {}),
  default_room_version: v.optional(str("a room version")),
  macaroon_secret_key: v.optional(str()),
  form_secret: v.optional(str()),
  // Accounts (Synapse's names; how they combine: src/accounts/account-config.ts).
  session_lifetime: v.nullish(duration()),
  /** Absent = Synapse's 5m; null disables refresh tokens. */
  refreshable_access_token_lifetime: v.optional(v.nullable(duration())),
  refresh_token_lifetime: v.nullish(duration()),
  nonrefreshable_access_token_lifetime: v.nullish(duration()),
  password_config: section(
    {
      enabled: v.optional(v.union([bool(), v.literal("only_for_reauth")], "expected true, false or only_for_reauth"), true),
      localdb_enabled: optBool(true),
      pepper: v.optional(str(), ""),
      policy: passwordPolicy,
    },
    "enabled, localdb_enabled, pepper and policy",
  ),
  ui_auth: section({ session_timeout: v.optional(duration(), 0) }, "session_timeout"),
  inhibit_user_in_use_error: optBool(false),
  enable_set_displayname: optBool(true),
  enable_set_avatar_url: optBool(true),
  /** Absent = off in Hearth (it cannot verify e-mail addresses or phone numbers). */
  enable_3pid_changes: v.optional(bool()),
  require_auth_for_profile_requests: optBool(false),
  limit_profile_requests_to_users_who_share_rooms: optBool(false),
  auto_join_rooms: v.optional(v.nullable(v.array(str("a room alias or room id"), "expected a list of room aliases")), []),
  autocreate_auto_join_rooms: optBool(true),
  autocreate_auto_join_rooms_federated: optBool(true),
  autocreate_auto_join_room_preset: v.nullish(
    v.picklist(["public_chat", "private_chat", "trusted_private_chat"], "expected public_chat, private_chat or trusted_private_chat"),
  ),
  auto_join_mxid_localpart: v.nullish(str("a localpart")),
  auto_join_rooms_for_guests: optBool(true),
  /** Hearth's own: microseconds the event loop stays awake after a response to a back-to-back client (0: never). */
  idle_poll_us: v.optional(intRange(0, 10_000), 200),
  user_types: section(
    { default_user_type: v.nullish(str()), extra_user_types: v.optional(v.array(str(), "expected a list of user types"), []) },
    "default_user_type and extra_user_types",
  ),
};
