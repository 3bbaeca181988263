import {
  configure,
  reset,
  getConsoleSink,
  getStreamSink,
  type LogLevel,
  type LogRecord,
  type Sink,
  type LoggerConfig,
} from "@logtape/logtape";
import { existsSync, readFileSync, createWriteStream } from "node:fs";
import { Writable } from "node:stream";
import { logContextStorage } from "./log-context.ts";

export interface LoggingOptions {
  /** Simple `log_level` from homeserver.yaml. */
  level?: string;
  /** `log_config`: a Synapse-style (Python dictConfig) YAML file. */
  logConfigPath?: string;
  /** Replaces the console sink (tests capture records this way). */
  sinks?: Record<string, Sink>;
  /** Extra per-category levels, e.g. { "hearth.registration_debug": "debug" }. */
  levels?: Record<string, string>;
}

export interface LoggingSetup {
  /**
   * True when the category was named in the logging config itself, not just
   * covered by a parent. Sensitive debug loggers check this so they never
   * inherit DEBUG from the root.
   */
  isExplicitlyConfigured(category: string): boolean;
}

/** Categories written in the Synapse form keep working: synapse.x.y → hearth.x.y. */
export function normaliseCategory(name: string): string[] {
  const parts = name.split(".").filter(Boolean);
  if (parts[0] === "synapse") parts[0] = "hearth";
  return parts;
}

export function toLogLevel(level: string | undefined, fallback: LogLevel = "info"): LogLevel {
  switch ((level ?? "").toLowerCase()) {
    case "trace":
      return "trace";
    case "debug":
      return "debug";
    case "info":
      return "info";
    case "warn":
    case "warning":
      return "warning";
    case "error":
      return "error";
    case "fatal":
    case "critical":
      return "fatal";
    default:
      return fallback;
  }
}

const TOKEN_PATTERN = /\b(sy[tr]_)[A-Za-z0-9_]+/g;

/** The Synapse log line shape, with server_name added: `ts - category - LEVEL - server - request - message`. */
export function formatRecord(record: LogRecord): string {
  const p = record.properties as Record<string, unknown>;
  const ts = new Date(record.timestamp).toISOString().replace("T", " ").replace("Z", "");
  let msg = "";
  for (let i = 0; i < record.message.length; i++) {
    const part = record.message[i];
    msg += i % 2 === 0 ? String(part) : typeof part === "string" ? part : Bun.inspect(part, { depth: 3 });
  }
  const server = (p.server_name as string | undefined) ?? "-";
  const request = (p.request as string | undefined) ?? "sentinel";
  const line = `${ts} - ${record.category.join(".")} - ${record.level.toUpperCase()} - ${server} - ${request} - ${msg}`;
  // Defence in depth: nothing that looks like an access or refresh token reaches a sink.
  return line.replace(TOKEN_PATTERN, "$1<redacted>");
}

interface DictConfig {
  handlers?: Record<string, { class?: string; filename?: string; level?: string }>;
  loggers?: Record<string, { level?: string; handlers?: string[] }>;
  root?: { level?: string; handlers?: string[] };
}

export async function setupLogging(opts: LoggingOptions = {}): Promise<LoggingSetup> {
  const rootLevel = toLogLevel(opts.level);
  const explicit = new Map<string, LogLevel>();
  for (const [cat, lvl] of Object.entries(opts.levels ?? {})) explicit.set(normaliseCategory(cat).join("."), toLogLevel(lvl));

  let sinks: Record<string, Sink> = opts.sinks ?? { console: consoleSink() };
  let root = rootLevel;
  if (opts.logConfigPath) {
    if (!existsSync(opts.logConfigPath)) throw new Error(`log_config ${opts.logConfigPath} does not exist`);
    const dict = (Bun.YAML.parse(readFileSync(opts.logConfigPath, "utf8")) ?? {}) as DictConfig;
    if (!opts.sinks) sinks = sinksFromHandlers(dict.handlers ?? {});
    root = toLogLevel(dict.root?.level, rootLevel);
    for (const [name, l] of Object.entries(dict.loggers ?? {})) {
      explicit.set(normaliseCategory(name).join("."), toLogLevel(l.level, root));
    }
  }
  const sinkNames = Object.keys(sinks);
  const loggers: LoggerConfig<string, string>[] = [
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: sinkNames, parentSinks: "override" },
    { category: ["hearth"], lowestLevel: root, sinks: sinkNames, parentSinks: "override" },
  ];
  for (const [cat, lvl] of explicit) {
    loggers.push({ category: cat.split("."), lowestLevel: lvl, sinks: sinkNames, parentSinks: "override" });
  }
  await configure({ reset: true, contextLocalStorage: logContextStorage, sinks, loggers });
  return { isExplicitlyConfigured: (category) => explicit.has(normaliseCategory(category).join(".")) };
}

export async function teardownLogging(): Promise<void> {
  await reset();
}

function consoleSink(): Sink {
  return getConsoleSink({ formatter: (r) => formatRecord(r) });
}

function sinksFromHandlers(handlers: NonNullable<DictConfig["handlers"]>): Record<string, Sink> {
  const out: Record<string, Sink> = {};
  for (const [name, h] of Object.entries(handlers)) {
    if (h.filename) {
      const stream = Writable.toWeb(createWriteStream(h.filename, { flags: "a" }));
      out[name] = getStreamSink(stream, { formatter: (r) => formatRecord(r) + "\n" });
    } else {
      out[name] = consoleSink();
    }
  }
  if (Object.keys(out).length === 0) out.console = consoleSink();
  return out;
}
