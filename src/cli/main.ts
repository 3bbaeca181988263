import { parseArgs } from "node:util";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { getLogger } from "@logtape/logtape";
import pkg from "../../package.json" with { type: "json" };
import { loadConfigFile, ConfigError, type HomeserverConfig } from "../config/load.ts";
import { writeGeneratedConfig } from "../config/generate.ts";
import { setupLogging } from "../observability/logging.ts";
import { runInLogContext } from "../observability/log-context.ts";
import { createHomeserver, ListenerHub, type Homeserver } from "../homeserver.ts";
import { openDatabase } from "../storage/database.ts";
import { migrateDatabase } from "../storage/migrate.ts";

const USAGE = `Hearth ${pkg.version}: a Matrix homeserver

Usage:
  hearth --config FILE [--config FILE ...]   run the homeserver(s) in FILE(s); a FILE may
                                             instead list others: "homeservers: [a.yaml, b.yaml]"
  hearth generate-config --server-name NAME [--config FILE] [--data-dir DIR]
                                             write a new config (default homeserver.yaml)
  hearth migrate --config FILE               apply database migrations and exit
  hearth register-user -u USER [-p PASS] [-a|--no-admin] [-c FILE | -k SECRET] [URL]
                                             create a user with the registration shared secret
  hearth --version | --help

Options when running:
  -c, --config FILE        a homeserver.yaml (may be repeated)
  --generate-missing       generate FILE first if it does not exist (server_name localhost)
  --data-dir DIR           where a generated config keeps its data (default ./data)
`;

function usageError(message: string): never {
  console.error(`hearth: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: "string", short: "c", multiple: true },
        "server-name": { type: "string" },
        "data-dir": { type: "string" },
        "generate-missing": { type: "boolean" },
        version: { type: "boolean", short: "V" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    usageError((err as Error).message);
  }
}

function loadOrExit(path: string): HomeserverConfig {
  try {
    const { config, warnings } = loadConfigFile(path);
    for (const w of warnings) console.warn(w);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * A config file whose top level is `homeservers:` lists the config files of
 * the homeservers to run in this process (paths relative to the list).
 */
function expandHomeserverLists(paths: string[]): string[] {
  return paths.flatMap((path) => {
    if (!existsSync(path)) return [path];
    let doc: unknown;
    try {
      doc = Bun.YAML.parse(readFileSync(path, "utf8"));
    } catch {
      return [path]; // the config loader reports the YAML error
    }
    if (typeof doc !== "object" || doc === null || !("homeservers" in doc)) return [path];
    const list = (doc as { homeservers: unknown }).homeservers;
    if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === "string")) {
      console.error(`config error: ${path}: homeservers: expected a list of config file paths, got ${JSON.stringify(list)}`);
      process.exit(1);
    }
    for (const key of Object.keys(doc)) {
      if (key !== "homeservers") console.warn(`config: ${path}: ignoring key ${key}: a homeservers list holds only homeservers`);
    }
    return list.map((p: string) => resolve(dirname(path), p));
  });
}

async function run(givenPaths: string[], generateMissing: boolean, dataDir: string): Promise<void> {
  let generated = false;
  if (generateMissing && givenPaths.length === 1 && !existsSync(givenPaths[0]!)) {
    writeGeneratedConfig({ serverName: "localhost", configPath: givenPaths[0]!, dataDir });
    generated = true;
  }
  const paths = expandHomeserverLists(givenPaths);
  const configs = paths.map(loadOrExit);
  const seen = new Map<string, string>();
  for (const c of configs) {
    const other = seen.get(c.server_name);
    if (other !== undefined) {
      console.error(`config error: server_name ${c.server_name} is configured twice (${other} and ${c.configPath})`);
      process.exit(1);
    }
    seen.set(c.server_name, c.configPath);
  }
  const first = configs[0]!;
  const logging = await setupLogging({ level: first.log_level, logConfigPath: first.log_config });
  // Homeservers naming the same address share one server there, routed by Host.
  const listenerHub = new ListenerHub();
  const homeservers: Homeserver[] = configs.map((c) => createHomeserver(c, { logging, listenerHub }));
  const log = getLogger(["hearth", "main"]);
  for (const hs of homeservers) {
    try {
      await hs.start();
    } catch (err) {
      await runInLogContext({ server_name: hs.serverName, request: "startup" }, async () =>
        log.fatal("Error during startup: {error}", { error: err }),
      );
      console.error(`hearth: ${hs.serverName} failed to start: ${(err as Error).message}`);
      await Promise.all(homeservers.map((h) => h.stop()));
      process.exit(1);
    }
    await runInLogContext({ server_name: hs.serverName, request: "startup" }, async () => {
      log.info("Hearth {version} serving {server} with config {path}{generated}", {
        version: pkg.version,
        server: hs.serverName,
        path: hs.config.configPath,
        generated: generated ? " (generated just now)" : "",
      });
      log.info(
        "Create the first admin user with: {command} register-user -c {path} -a -u admin http://localhost:{port}",
        { command: selfCommand(), path: hs.config.configPath, port: hs.boundAddresses[0]?.port ?? 8008 },
      );
    });
  }
  // dist/hearth starts with raised JIT tier-up thresholds (src/build/build-binary.ts) so run-once
  // start-up code stays interpreted; requests get the normal JIT from here on.
  Bun.unsafe.setJITPolicy(1);
  // Start-up (config, migrations, route tables) leaves garbage behind; collect it once
  // so an idle server's RSS reflects what it keeps, not what it did to start.
  homeservers[0]?.clock.callLater(1000, () => {
    Bun.gc(true);
    Bun.shrink();
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`hearth: received ${signal}, shutting down`);
    await Promise.all(homeservers.map((h) => h.stop()));
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/** How to invoke this program again: the binary itself, or Bun on the source file. */
function selfCommand(): string {
  // Files of a `bun build --compile` executable live under /$bunfs/. Bun.main, not
  // import.meta.path: with --bytecode the latter is the source path at build time.
  return Bun.main.startsWith("/$bunfs") ? process.execPath : `npx bun ${Bun.main}`;
}

async function migrateOnly(path: string): Promise<void> {
  const config = loadOrExit(path);
  const database = await openDatabase(config.database);
  try {
    const result = await migrateDatabase(database, Date.now());
    console.log(
      result.applied.length
        ? `applied ${result.applied.length} migration(s): ${result.applied.join(", ")}`
        : `database is up to date (schema version ${result.version})`,
    );
  } finally {
    await database.close();
  }
}

/** Runs the command line `argv` (without the program). */
export async function runCli(argv: string[]): Promise<void> {
  const [command, ...rest] = argv[0] && !argv[0].startsWith("-") ? [argv[0], ...argv.slice(1)] : ["run", ...argv];
  if (command === "register-user") {
    const { registerUserCli } = await import("./register-user.ts");
    process.exit(await registerUserCli(rest));
  }
  const { values, positionals } = parse(rest);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.version) {
    console.log(`hearth ${pkg.version} (bun ${Bun.version})`);
    return;
  }
  if (positionals.length > 0) usageError(`unexpected argument ${positionals[0]}`);
  const configs = values.config ?? [];
  switch (command) {
    case "run":
      if (configs.length === 0) usageError("--config FILE is required");
      return run(configs, values["generate-missing"] ?? false, values["data-dir"] ?? "data");
    case "generate-config": {
      const serverName = values["server-name"] ?? usageError("generate-config needs --server-name NAME");
      const configPath = configs[0] ?? "homeserver.yaml";
      try {
        writeGeneratedConfig({ serverName, configPath, dataDir: values["data-dir"] ?? "data" });
      } catch (err) {
        console.error(`hearth: ${(err as Error).message}`);
        process.exit(1);
      }
      console.log(`wrote ${resolve(configPath)}\nstart with: hearth --config ${configPath}`);
      return;
    }
    case "migrate":
      if (configs.length !== 1) usageError("migrate needs exactly one --config FILE");
      return migrateOnly(configs[0]!);
    default:
      usageError(`unknown command ${command}`);
  }
}

