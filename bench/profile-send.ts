/**
 * Where the server's main thread spends a send: JavaScriptCore's sampling profiler over
 * wrk sending into a room of 50 members (as bench/events.ts does), printed as self and
 * inclusive time per function. A tool for finding what to make faster, not a figure for
 * the README.
 *
 *   ./node_modules/.bin/bun bench/profile-send.ts            # SQLite, 1 sender
 *   PROFILE_CONCURRENCY=10 PROFILE_SECONDS=8 ./node_modules/.bin/bun bench/profile-send.ts
 *
 * PROFILE_THREADS=1 first runs unprofiled and prints CPU per request of each thread (with
 * `--preload bench/support/count-statements.ts`, also every SQL statement per request);
 * PROFILE_FILES=1 adds self time per source file, PROFILE_TIERS=1 JavaScriptCore's tiers;
 * PROFILE_READY_FILE=f writes the pid to f a second before the measured run (for perf);
 * PROFILE_WARMUP=s sends for s seconds first (default 3; the JIT needs 10-20 to settle).
 * The sampler costs the server much of its speed: compare shares, not absolute figures.
 */
import { profile } from "bun:jsc";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { roomOfSenders, startBenchServer, writeSendScript } from "./support/server.ts";
import { threadTimes } from "./support/thread-times.ts";
import { applyRuntimeTuning } from "../src/runtime-tuning.ts";

applyRuntimeTuning();

const concurrency = Number(process.env.PROFILE_CONCURRENCY ?? 1);
const seconds = Number(process.env.PROFILE_SECONDS ?? 6);
const top = Number(process.env.PROFILE_TOP ?? 45);
const wrk = Bun.which("wrk");
if (!wrk) throw new Error("bench/profile-send.ts needs wrk (apt install wrk)");

const dir = mkdtempSync(join(tmpdir(), "hearth-profile-"));
const { baseUrl, stop } = await startBenchServer("SQLite", { name: "sqlite3", args: { database: join(dir, "bench.db") } }, dir);
try {
  const { roomId, tokens } = await roomOfSenders(baseUrl, 50);
  const script = join(dir, "send.lua");
  const runWrk = async (s: number) => {
    await writeSendScript(script, roomId, tokens);
    const proc = Bun.spawn([wrk, "-t", "1", "-c", String(concurrency), "-d", `${s}s`, "-s", script, baseUrl], { stdout: "pipe" });
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    return out;
  };
  await runWrk(Number(process.env.PROFILE_WARMUP ?? 3)); // warm-up: the JIT settles
  if (process.env.PROFILE_READY_FILE) {
    // For an outside profiler (perf, strace): the measured run starts a second after this file appears.
    await Bun.write(process.env.PROFILE_READY_FILE, String(process.pid));
    await Bun.sleep(1000);
  }
  if (process.env.PROFILE_THREADS) {
    if (process.env.PROFILE_MARK) console.error("=== MEASURE START");
    (globalThis as { __sqlcounts?: Map<string, unknown> }).__sqlcounts?.clear();
    const before = threadTimes();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const o = await runWrk(seconds);
    const wall = performance.now() - t0;
    if (process.env.PROFILE_MARK) console.error("=== MEASURE END");
    const cpu = process.cpuUsage(cpu0);
    const after = threadTimes();
    const n = Number(o.match(/(\d+) requests in/)?.[1] ?? 0);
    const sqlCounts = (globalThis as { __sqlcounts?: Map<string, [number, number]> }).__sqlcounts;
    if (sqlCounts) for (const [k, [c, ms]] of [...sqlCounts].sort((a, b) => b[1][1] - a[1][1]).slice(0, 25)) console.log(`SQLCOUNT ${(c / n).toFixed(2)}x ${((ms * 1000) / n).toFixed(1)} µs  ${k}`);
    console.log(`${n} requests, ${((n * 1000) / wall).toFixed(0)}/s; process CPU ${((cpu.user + cpu.system) / n).toFixed(0)} µs per request (user ${(cpu.user / n).toFixed(0)}, system ${(cpu.system / n).toFixed(0)})`);
    for (const [tid, { name, ms }] of after) {
      const d = ms - (before.get(tid)?.ms ?? 0);
      if (d > 0) console.log(`  thread ${tid} ${name}: ${((d * 1000) / n).toFixed(0)} µs per request`);
    }
  }
  let out = "";
  const started = performance.now();
  const result = await profile(async () => {
    out = await runWrk(seconds);
  }, 100);
  const wallMs = performance.now() - started;
  const requests = Number(out.match(/(\d+) requests in/)?.[1] ?? 0);
  const traces = result.stackTraces.traces;
  const interval = result.stackTraces.interval * 1e6;
  const sources = new Map(result.stackTraces.sources.map((s) => [s.sourceID, s.url ?? "?"]));
  const short = (url: string) => url.replace(`${process.cwd()}/`, "");
  const label = (f: (typeof traces)[number]["frames"][number]) =>
    `${f.name || "(anonymous)"} ${f.sourceID === 4294967295 ? "[native]" : `${short(f.sourceURL ?? sources.get(f.sourceID) ?? "?")}`}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const t of traces) {
    const first = t.frames[0];
    if (!first) continue;
    self.set(label(first), (self.get(label(first)) ?? 0) + 1);
    for (const name of new Set(t.frames.map(label))) inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
  }
  const perRequest = (n: number) => ((n * interval) / Math.max(1, requests)).toFixed(1);
  console.log(`${requests} requests in ${(wallMs / 1000).toFixed(1)} s (${((requests * 1000) / wallMs).toFixed(0)}/s), ${traces.length} samples of ${interval} µs: main thread busy ${((traces.length * interval) / (wallMs * 10)).toFixed(0)}%, ${perRequest(traces.length)} µs per request`);
  const print = (title: string, counts: Map<string, number>) => {
    console.log(`\n${title} (µs per request, share of samples)`);
    for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${perRequest(n).padStart(7)}  ${((100 * n) / traces.length).toFixed(1).padStart(5)}%  ${name}`);
    }
  };
  if (process.env.PROFILE_TIERS) console.log(result.bytecodes.split("\n").slice(0, 16).join("\n"));
  if (process.env.PROFILE_FILES) {
    const byFile = new Map<string, number>();
    for (const t of traces) {
      const f = t.frames[0];
      if (!f) continue;
      // Native frames count for the first JavaScript caller's file.
      const owner = t.frames.find((x) => x.sourceID !== 4294967295) ?? f;
      const file = owner.sourceID === 4294967295 ? "[native]" : short(owner.sourceURL ?? sources.get(owner.sourceID) ?? "?");
      const key = f.sourceID === 4294967295 ? `${file} -> ${f.name}` : file;
      byFile.set(key, (byFile.get(key) ?? 0) + 1);
    }
    print("self by file (native time counted for its caller)", byFile);
  }
  print("self", self);
  print("inclusive", inclusive);
} finally {
  await stop();
  rmSync(dir, { recursive: true, force: true });
}
