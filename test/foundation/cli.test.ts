import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");

function hearth(args: string[], cwd?: string) {
  const p = Bun.spawnSync([process.execPath, MAIN, ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("command line", () => {
  test("--version and --help", () => {
    const v = hearth(["--version"]);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^hearth \d+\.\d+\.\d+/);
    const h = hearth(["--help"]);
    expect(h.code).toBe(0);
    expect(h.out).toContain("generate-config");
  });

  test("unknown flags and commands print usage and exit 2", () => {
    const a = hearth(["--bogus"]);
    expect(a.code).toBe(2);
    expect(a.err).toContain("Usage:");
    const b = hearth(["frobnicate"]);
    expect(b.code).toBe(2);
    expect(b.err).toContain("unknown command frobnicate");
  });

  test("a broken config exits 1 with the message naming the key", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-cli-"));
    writeFileSync(join(dir, "hs.yaml"), 'server_name: x.org\nlisteners:\n  - port: "abc"\n');
    const r = hearth(["--config", join(dir, "hs.yaml")]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('config error: listeners[0].port: expected an integer from 1 to 65535, got "abc"');
  });

  test("a missing config exits 1 and suggests generate-config", () => {
    const r = hearth(["-c", "/nonexistent/hs.yaml"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("generate-config");
  });

  test("generate-config then migrate", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-cli-"));
    const g = hearth(["generate-config", "--server-name", "cli.test", "--config", "hs.yaml", "--data-dir", "d"], dir);
    expect(g.code).toBe(0);
    expect(existsSync(join(dir, "hs.yaml"))).toBe(true);
    const again = hearth(["generate-config", "--server-name", "cli.test", "--config", "hs.yaml"], dir);
    expect(again.code).toBe(1);
    const m = hearth(["migrate", "--config", join(dir, "hs.yaml")]);
    expect(m.code).toBe(0);
    expect(m.out).toContain("applied");
    expect(existsSync(join(dir, "d", "homeserver.db"))).toBe(true);
    const m2 = hearth(["migrate", "--config", join(dir, "hs.yaml")]);
    expect(m2.out).toContain("up to date");
  });
});
