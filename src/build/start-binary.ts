import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A compiled binary serving a generated config on a fresh SQLite database. */
export interface RunningBinary {
  readonly proc: Bun.Subprocess;
  /** Spawn to the first answered GET /_matrix/client/versions. */
  readonly startMs: number;
  /** SIGTERM, wait for the exit, remove the data. */
  stop(): Promise<void>;
}

function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/**
 * Starts `binary` the way a new server starts (generate-config, then run it in a
 * temp folder) and waits until it answers its first request. Used by the build
 * (to record the bytecode start-up uses) and by bench/startup.ts.
 */
export async function startBinary(binary: string, env: Record<string, string> = {}): Promise<RunningBinary> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-binary-"));
  const port = freePort();
  const generated = Bun.spawnSync([binary, "generate-config", "--server-name", "bench.test", "--config", "hs.yaml"], { cwd: dir });
  if (!generated.success) throw new Error(`${binary} generate-config failed: ${generated.stderr.toString()}`);
  const cfg = join(dir, "hs.yaml");
  writeFileSync(cfg, readFileSync(cfg, "utf8").replace("port: 8008", `port: ${port}`));
  const t0 = performance.now();
  const stderrPath = join(dir, "stderr.log");
  const proc = Bun.spawn([binary, "--config", cfg], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdout: "ignore",
    stderr: Bun.file(stderrPath),
  });
  const stop = async () => {
    proc.kill("SIGTERM");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 5000; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/_matrix/client/versions`);
      if (r.ok) return { proc, startMs: performance.now() - t0, stop };
    } catch {
      if (proc.exitCode !== null) break;
      await Bun.sleep(2);
    }
  }
  const stderr = readFileSync(stderrPath, "utf8");
  await stop();
  throw new Error(`${binary} did not answer on port ${port}${stderr ? `:\n${stderr}` : ""}`);
}
