/**
 * Cold start and idle memory of the compiled binary.
 * Run: npm run build && bun bench/startup.ts [runs]
 * Start time = spawn to the first answered GET /_matrix/client/versions, on a
 * fresh SQLite database each run (migrations and key generation included).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const binary = resolve(import.meta.dir, "../dist/hearth");
if (!existsSync(binary)) {
  console.error("dist/hearth is missing: run `npm run build` first");
  process.exit(1);
}
const runs = Number(process.argv[2] ?? 7);

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function once(): Promise<{ startMs: number; idleRssMb: number }> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-bench-"));
  const port = 30000 + Math.floor(Math.random() * 20000);
  Bun.spawnSync([binary, "generate-config", "--server-name", "bench.test", "--config", "hs.yaml"], { cwd: dir });
  const cfg = join(dir, "hs.yaml");
  writeFileSync(cfg, readFileSync(cfg, "utf8").replace("port: 8008", `port: ${port}`));
  const t0 = performance.now();
  const proc = Bun.spawn([binary, "--config", cfg], { cwd: dir, stdout: "ignore", stderr: "ignore" });
  let startMs = -1;
  for (let i = 0; i < 2000 && startMs < 0; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/_matrix/client/versions`);
      if (r.ok) startMs = performance.now() - t0;
    } catch {
      await Bun.sleep(2);
    }
  }
  await Bun.sleep(2000);
  const idleRssMb = rssMb(proc.pid);
  proc.kill("SIGTERM");
  await proc.exited;
  rmSync(dir, { recursive: true, force: true });
  return { startMs, idleRssMb };
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const start = median(results.map((r) => r.startMs));
const rss = median(results.map((r) => r.idleRssMb));
console.log(`| metric | result (median of ${runs}) | target |`);
console.log(`|---|---|---|`);
console.log(`| cold start to first answered request | ${start.toFixed(0)} ms | < 300 ms |`);
console.log(`| idle RSS after start | ${rss.toFixed(1)} MB | < 60 MB |`);
