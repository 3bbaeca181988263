import * as v from "valibot";
import { dirname, isAbsolute, resolve } from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { knownEntries } from "./schema.ts";
export type { ListenerConfig } from "./schema.ts";
import { rateLimitConfigEntries, normaliseRateLimitConfig, type RateLimitConfig } from "../ratelimit/config.ts";
import { isValidServerName } from "../matrix/identifiers.ts";
import { validateMasConfig } from "../mas/config.ts";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const configSchema = v.object({ ...knownEntries, ...rateLimitConfigEntries });
type RawConfig = v.InferOutput<typeof configSchema>;

export type DatabaseConfig =
  | { kind: "sqlite"; path: string; /** Hold the file's locks while open (see sqlite-file.ts). Default true. */ exclusiveLock?: boolean }
  | { kind: "postgres"; url?: string; user?: string; password?: string; database?: string; host?: string; port?: number; schema?: string; poolMin: number; poolMax: number };

export type HomeserverConfig = Omit<RawConfig, "database" | keyof typeof rateLimitConfigEntries> & {
  /** Where the config was read from ("" when built in memory, e.g. by tests). */
  configPath: string;
  public_baseurl: string;
  database: DatabaseConfig;
  signing_key_path: string;
  media_store_path: string;
  ratelimits: RateLimitConfig;
};

export interface LoadedConfig {
  config: HomeserverConfig;
  /** One line per problem that does not stop start-up (unknown keys). */
  warnings: string[];
}

export function loadConfigFile(path: string): LoadedConfig {
  if (!existsSync(path)) {
    throw new ConfigError(
      `config error: config file ${path} does not exist. Create one with: hearth generate-config --server-name example.org --config ${path}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = Bun.YAML.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`config error: ${path} is not valid YAML: ${(err as Error).message}`);
  }
  return parseConfig(parsed, resolve(path));
}

/** Validates a parsed YAML document. Relative paths resolve against the config file's folder. */
export function parseConfig(input: unknown, configPath = ""): LoadedConfig {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ConfigError(`config error: expected a YAML mapping at the top level, got ${describe(input)}`);
  }
  const warnings: string[] = [];
  for (const key of Object.keys(input)) {
    if (!(key in configSchema.entries)) {
      warnings.push(`config: ignoring unknown key ${key}: Hearth does not support it`);
    }
  }
  const result = v.safeParse(configSchema, input);
  if (!result.success) {
    throw new ConfigError(result.issues.map(formatIssue).join("\n"));
  }
  const config = normalise(result.output, configPath);
  validateMasConfig(config, input as Record<string, unknown>);
  return { config, warnings };
}

function normalise(raw: RawConfig, configPath: string): HomeserverConfig {
  if (!isValidServerName(raw.server_name)) {
    throw new ConfigError(`config error: server_name: expected a server name like example.org, got ${describe(raw.server_name)}`);
  }
  const baseDir = configPath ? dirname(configPath) : process.cwd();
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const ratelimits = normaliseRateLimitConfig(raw);
  const rest = Object.fromEntries(
    Object.entries(raw).filter(([k]) => !(k in rateLimitConfigEntries)),
  ) as Omit<RawConfig, keyof typeof rateLimitConfigEntries>;
  const firstHttp = raw.listeners.find((l) => l.type === "http");
  const baseurl = raw.public_baseurl ?? `http://${raw.server_name}:${firstHttp?.port ?? 8008}/`;
  return {
    ...rest,
    configPath,
    public_baseurl: baseurl.endsWith("/") ? baseurl : `${baseurl}/`,
    database: normaliseDatabase(raw.database, abs),
    signing_key_path: abs(raw.signing_key_path ?? `${raw.server_name}.signing.key`),
    media_store_path: abs(raw.media_store_path),
    registration_shared_secret_path: raw.registration_shared_secret_path
      ? abs(raw.registration_shared_secret_path)
      : undefined,
    log_config: raw.log_config ? abs(raw.log_config) : undefined,
    ratelimits,
  };
}

function normaliseDatabase(db: RawConfig["database"], abs: (p: string) => string): DatabaseConfig {
  if (db.name === "sqlite3" || db.name === "sqlite") {
    const file = db.args.database;
    return { kind: "sqlite", path: file === ":memory:" ? file : abs(file), exclusiveLock: db.args.exclusive_lock };
  }
  const a = (db as Extract<RawConfig["database"], { name: "psycopg2" | "postgres" | "postgresql" }>).args;
  return {
    kind: "postgres",
    url: a.url,
    user: a.user,
    password: a.password,
    database: a.dbname ?? a.database,
    host: a.host,
    port: a.port,
    schema: a.schema,
    poolMin: a.cp_min,
    // At least two: a long write transaction (a room upgrade's bans) has its push rules
    // prepared, and state read, through another connection while it holds its own.
    poolMax: Math.max(a.cp_max, a.cp_min, 2),
  };
}

function formatIssue(issue: v.BaseIssue<unknown>): string {
  const path = (issue.path ?? [])
    .map((p, i) => (typeof p.key === "number" ? `[${p.key}]` : `${i === 0 ? "" : "."}${String(p.key)}`))
    .join("");
  const where = path || "(top level)";
  if (issue.kind === "schema" && issue.input === undefined && issue.expected !== "undefined") {
    return `config error: ${where}: is required (${issue.message})`;
  }
  return `config error: ${where}: ${issue.message}, got ${describe(issue.input)}`;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}
