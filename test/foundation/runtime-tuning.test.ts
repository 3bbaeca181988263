import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RUNTIME_TUNING, TUNED_MARKER, applyRuntimeTuning, restartArgv, tunedEnvironment, type RunningProcess } from "../../src/runtime-tuning.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");

describe("runtime tuning", () => {
  test("the restart adds what the environment lacks, keeps an admin's own values, and happens once", () => {
    const env = tunedEnvironment({ PATH: "/bin", MIMALLOC_PURGE_DELAY: "250", UNSET: undefined });
    expect(env).toEqual({ PATH: "/bin", MIMALLOC_PURGE_DELAY: "250", BUN_JSC_useWarmUpMarkedBlocks: "0", [TUNED_MARKER]: "1" });
    expect(tunedEnvironment(env!)).toBeNull();
    expect(tunedEnvironment({ [TUNED_MARKER]: "1" })).toBeNull();
    expect(tunedEnvironment({ ...RUNTIME_TUNING })).toBeNull();
  });

  test("the same program runs again with the same arguments, from source or compiled", () => {
    const base = { execPath: "/usr/bin/bun", execArgv: ["--preload", "./p.ts"], env: {} };
    expect(restartArgv({ ...base, argv: ["/usr/bin/bun", "/srv/hearth/src/main.ts", "--config", "hs.yaml"], main: "/srv/hearth/src/main.ts" })).toEqual([
      "/usr/bin/bun",
      "--preload",
      "./p.ts",
      "/srv/hearth/src/main.ts",
      "--config",
      "hs.yaml",
    ]);
    expect(
      restartArgv({ execPath: "/opt/hearth", execArgv: [], env: {}, argv: ["bun", "/$bunfs/root/hearth", "--config", "hs.yaml"], main: "/$bunfs/root/hearth" }),
    ).toEqual(["/opt/hearth", "--config", "hs.yaml"]);
    // Where the command line as typed is known, it is kept as it was.
    expect(restartArgv({ ...base, startedArgv: ["bun", "src/main.ts", "-c", "hs.yaml"], argv: ["/usr/bin/bun", "/srv/src/main.ts", "-c", "hs.yaml"], main: "/srv/src/main.ts" })).toEqual([
      "bun",
      "src/main.ts",
      "-c",
      "hs.yaml",
    ]);
  });

  test("without execve, with nothing to add, or when the restart fails, the process goes on as it is", () => {
    const calls: unknown[] = [];
    const p: RunningProcess = { execPath: "/usr/bin/bun", execArgv: [], argv: ["/usr/bin/bun", "/x/main.ts"], main: "/x/main.ts", env: { [TUNED_MARKER]: "1" } };
    applyRuntimeTuning({ ...p, execve: ((...args: unknown[]) => void calls.push(args)) as RunningProcess["execve"] });
    applyRuntimeTuning({ ...p, env: {} });
    expect(calls).toEqual([]);
    const warnings: string[] = [];
    const failing = () => {
      throw new Error("ENOENT");
    };
    applyRuntimeTuning({ ...p, env: {}, execve: failing as RunningProcess["execve"] }, (m) => warnings.push(m));
    expect(warnings).toEqual(["hearth: running without the runtime tuning (could not restart: ENOENT)"]);
  });

  test.skipIf(!existsSync("/proc/self/environ"))(
    "a serving hearth restarts in place with the tuning, an admin's value winning",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "hearth-tuning-"));
      const port = 20000 + Math.floor(Math.random() * 20000);
      Bun.spawnSync([process.execPath, MAIN, "generate-config", "--server-name", "tuning.test", "--config", "hs.yaml"], { cwd: dir });
      writeFileSync(join(dir, "hs.yaml"), readFileSync(join(dir, "hs.yaml"), "utf8").replace("port: 8008", `port: ${port}`));
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !(k in RUNTIME_TUNING) && k !== TUNED_MARKER) env[k] = v;
      env.MIMALLOC_PURGE_DELAY = "250";
      const argv = [process.execPath, MAIN, "--config", join(dir, "hs.yaml")];
      const proc = Bun.spawn(argv, { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
      try {
        let ok = false;
        // A fresh process transpiles the whole source tree (twice here): give a loaded CI machine time.
        for (let i = 0; i < 400 && !ok; i++) {
          try {
            ok = (await fetch(`http://127.0.0.1:${port}/_matrix/client/versions`)).status === 200;
          } catch {
            await Bun.sleep(50);
          }
        }
        expect(ok).toBe(true);
        // The process that serves is the one spawned (same pid), now with the settings.
        const environ = readFileSync(`/proc/${proc.pid}/environ`, "utf8").split("\0");
        expect(environ).toContain("BUN_JSC_useWarmUpMarkedBlocks=0");
        expect(environ).toContain("MIMALLOC_PURGE_DELAY=250");
        expect(environ).toContain(`${TUNED_MARKER}=1`);
        // ...and the command line it was started with, for ps and pkill -f.
        expect(readFileSync(`/proc/${proc.pid}/cmdline`, "utf8").split("\0").slice(0, -1)).toEqual(argv);
        // JavaScriptCore took the setting: no warm-up thread (one runs without it).
        const threads = readdirSync(`/proc/${proc.pid}/task`).map((tid) => readFileSync(`/proc/${proc.pid}/task/${tid}/comm`, "utf8").trim());
        expect(threads).not.toContain("JSCWarmUp");
      } finally {
        proc.kill("SIGTERM");
      }
      expect(await proc.exited).toBe(0);
    },
    40_000,
  );
});
