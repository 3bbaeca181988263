import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, loadConfigFile, ConfigError } from "../../src/config/load.ts";
import { renderConfig } from "../../src/config/generate.ts";

const base = { server_name: "example.org" };

function errorOf(input: unknown): string {
  try {
    parseConfig(input, "/etc/hearth/homeserver.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a config error");
}

describe("config", () => {
  test("a wrong value names the key path, the expected form and what was found", () => {
    const msg = errorOf({ ...base, listeners: [{ port: "abc" }] });
    expect(msg).toBe('config error: listeners[0].port: expected an integer from 1 to 65535, got "abc"');
  });

  test("nested wrong values and wrong types are reported", () => {
    expect(errorOf({ ...base, enable_registration: "yes" })).toContain("enable_registration: expected true or false");
    expect(errorOf({ ...base, database: { name: "mysql" } })).toContain("database");
    expect(errorOf({ ...base, rc_login: { address: { per_second: "fast" } } })).toContain("rc_login.address.per_second");
    expect(errorOf({ server_name: "not a server name!" })).toContain("server_name");
    expect(errorOf([1, 2])).toContain("top level");
  });

  test("server_name is required", () => {
    expect(errorOf({})).toContain("server_name");
  });

  test("unknown keys warn once each and are ignored", () => {
    const { config, warnings } = parseConfig({ ...base, federation_domain_whitelist: [], url_preview_enabled: true });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain("federation_domain_whitelist");
    expect(config.server_name).toBe("example.org");
  });

  test("defaults follow Synapse, relative paths resolve against the config's folder", () => {
    const { config } = parseConfig(
      { ...base, database: { name: "sqlite3", args: { database: "data/hs.db" } }, listeners: [{ port: 8448 }] },
      "/etc/hearth/homeserver.yaml",
    );
    expect(config.database).toEqual({ kind: "sqlite", path: "/etc/hearth/data/hs.db", exclusiveLock: true });
    const shared = parseConfig({ ...base, database: { name: "sqlite3", args: { database: "hs.db", exclusive_lock: false } } }, "/etc/hearth/homeserver.yaml");
    expect(shared.config.database).toEqual({ kind: "sqlite", path: "/etc/hearth/hs.db", exclusiveLock: false });
    expect(config.signing_key_path).toBe("/etc/hearth/example.org.signing.key");
    expect(config.listeners[0]!.bind_addresses).toEqual(["::", "0.0.0.0"]);
    expect(config.listeners[0]!.type).toBe("http");
    expect(config.enable_registration).toBe(false);
    expect(config.public_baseurl).toBe("http://example.org:8448/");
    expect(config.ratelimits.rc_room_creation.perSecond).toBe(0.016);
    expect(config.ratelimits.rc_room_creation.burstCount).toBe(10);
  });

  test("postgres accepts Synapse's psycopg2 args and a url", () => {
    const a = parseConfig({ ...base, database: { name: "psycopg2", args: { user: "u", password: "p", dbname: "d", host: "h", port: 5433, cp_min: 2, cp_max: 7 } } });
    expect(a.config.database).toMatchObject({ kind: "postgres", user: "u", database: "d", host: "h", port: 5433, poolMin: 2, poolMax: 7 });
    const b = parseConfig({ ...base, database: { name: "postgres", args: { url: "postgres://x@y/z" } } });
    expect(b.config.database).toMatchObject({ kind: "postgres", url: "postgres://x@y/z" });
    // A pool of one would leave a write transaction waiting for the connection it holds.
    const c = parseConfig({ ...base, database: { name: "psycopg2", args: { url: "postgres://x@y/z", cp_min: 1, cp_max: 1 } } });
    expect(c.config.database).toMatchObject({ poolMin: 1, poolMax: 2 });
  });

  test("a missing file says so and suggests generate-config", () => {
    expect(() => loadConfigFile("/nonexistent/homeserver.yaml")).toThrow(/does not exist.*generate-config/);
  });

  test("invalid YAML is a clear config error", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-cfg-"));
    writeFileSync(join(dir, "bad.yaml"), "server_name: [unclosed\n");
    expect(() => loadConfigFile(join(dir, "bad.yaml"))).toThrow(/not valid YAML/);
  });

  test("a generated config loads, with fresh secrets each time", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-cfg-"));
    const path = join(dir, "config", "homeserver.yaml");
    const text = renderConfig({ serverName: "my.server", configPath: path, dataDir: join(dir, "data") });
    expect(text).not.toBe(renderConfig({ serverName: "my.server", configPath: path, dataDir: join(dir, "data") }));
    writeFileSync(join(dir, "hs.yaml"), text);
    const { config, warnings } = loadConfigFile(join(dir, "hs.yaml"));
    expect(warnings).toEqual([]);
    expect(config.server_name).toBe("my.server");
    expect(config.registration_shared_secret!.length).toBeGreaterThan(30);
    expect(config.listeners[0]!.port).toBe(8008);
    expect(readFileSync(join(dir, "hs.yaml"), "utf8")).toContain("sqlite3");
  });
});
