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
  args: v.optional(v.object({ database: v.optional(str("a file path"), "homeserver.db") }), {}),
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
};
