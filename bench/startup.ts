/**
 * Cold start and idle memory of the compiled binary.
 * Run: npm run build && bun bench/startup.ts [runs]
 * Start time = spawn to the first answered GET /_matrix/client/versions, on a
 * fresh SQLite database each run (migrations and key generation included).
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startBinary } from "../src/build/start-binary.ts";

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
  const server = await startBinary(binary);
  await Bun.sleep(2000);
  const idleRssMb = rssMb(server.proc.pid);
  await server.stop();
  return { startMs: server.startMs, idleRssMb };
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
