/**
 * Where one sender's time goes between requests: wrk sends into a room of 50 members from
 * one connection (SQLite), and the server times each request from the moment Bun hands it
 * over to the moment its response is ready, and the wait from that response to the next
 * request. Prints the medians and means, and the stalls: waits over 400 µs and handlers
 * over 600 µs, which on a 2-core VM decide the mean (README, session 15). A measuring aid,
 * not a README figure.
 *
 *   ./node_modules/.bin/bun bench/send-stalls.ts
 *   STALL_PERF=1 ./node_modules/.bin/bun bench/send-stalls.ts   # + which threads ran during the stalls
 *
 * STALL_PERF=1 records `perf record -a -k realtime` over each run (needs perf and the
 * rights to use it) and counts, per process or thread name, the samples that fall inside
 * the waits of 1 ms or more. Env: STALL_RUNS (default 3), STALL_SECONDS (default 4),
 * STALL_WARMUP (seconds, default 8). HEARTH_RUNTIME_TUNED=1 runs without the runtime tuning.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { roomOfSenders, startBenchServer, writeSendScript } from "./support/server.ts";
import { applyRuntimeTuning } from "../src/runtime-tuning.ts";

applyRuntimeTuning();

const runs = Number(process.env.STALL_RUNS ?? 3);
const seconds = Number(process.env.STALL_SECONDS ?? 4);
const warmup = Number(process.env.STALL_WARMUP ?? 8);
const wrk = Bun.which("wrk");
if (!wrk) throw new Error("bench/send-stalls.ts needs wrk (apt install wrk)");
const perf = process.env.STALL_PERF ? Bun.which("perf") : null;

/** Wall-clock µs, the clock `perf record -k realtime` stamps its samples with. */
const wallUs = () => (performance.timeOrigin + performance.now()) * 1000;
const MAX = 1_000_000;
const arrived = new Float64Array(MAX);
const answered = new Float64Array(MAX);
let count = 0;
let recording = false;

const dir = mkdtempSync(join(tmpdir(), "hearth-stalls-"));
const { baseUrl, stop } = await startBenchServer("SQLite", { name: "sqlite3", args: { database: join(dir, "bench.db") } }, dir, async (_req, next) => {
  const i = recording && count < MAX ? count++ : -1;
  if (i >= 0) arrived[i] = wallUs();
  const res = await next();
  if (i >= 0) answered[i] = wallUs();
  return res;
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

try {
  const { roomId, tokens } = await roomOfSenders(baseUrl, 50);
  const script = join(dir, "send.lua");
  const runWrk = async (s: number) => {
    await writeSendScript(script, roomId, tokens);
    const proc = Bun.spawn([wrk, "-t1", "-c1", `-d${s}s`, "-s", script, baseUrl], { stdout: "pipe" });
    const out = await new Response(proc.stdout).text();
    return Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? 0);
  };
  await runWrk(warmup);
  console.log("| run | sends/s | handler µs (median / mean) | wait µs (median / mean) | waits > 400 µs (µs per send) | handlers > 600 µs (excess µs per send) |");
  console.log("|---|---|---|---|---|---|");
  for (let run = 1; run <= runs; run++) {
    const perfData = join(dir, `perf${run}.data`);
    const recorder = perf ? Bun.spawn([perf, "record", "-a", "-k", "realtime", "-F", "4000", "-o", perfData, "--", "sleep", String(seconds + 1)], { stdout: "ignore", stderr: "ignore" }) : null;
    if (recorder) await Bun.sleep(300);
    count = 0;
    recording = true;
    const rate = await runWrk(seconds);
    recording = false;
    const handlers: number[] = [];
    const waits: number[] = [];
    const windows: Array<[number, number]> = [];
    for (let i = 0; i < count; i++) {
      handlers.push(answered[i]! - arrived[i]!);
      if (i === 0) continue;
      const wait = arrived[i]! - answered[i - 1]!;
      waits.push(wait);
      if (wait >= 1000) windows.push([answered[i - 1]!, arrived[i]!]);
    }
    const longWaits = waits.filter((w) => w > 400);
    const slow = handlers.filter((h) => h > 600);
    const typical = median(handlers);
    const perSend = (total: number) => (total / Math.max(1, count)).toFixed(1);
    console.log(
      `| ${run} | ${rate.toFixed(0)} | ${typical.toFixed(0)} / ${mean(handlers).toFixed(0)} | ${median(waits).toFixed(0)} / ${mean(waits).toFixed(0)} | ${longWaits.length} (${perSend(longWaits.reduce((a, b) => a + b, 0))}) | ${slow.length} (${perSend(slow.reduce((a, h) => a + h - typical, 0))}) |`,
    );
    if (recorder) {
      await recorder.exited;
      console.log(await threadsDuring(perfData, windows));
    }
  }
} finally {
  await stop();
  rmSync(dir, { recursive: true, force: true });
}

/** perf samples inside `windows` (sorted wall-clock µs ranges), counted per thread name. */
async function threadsDuring(perfData: string, windows: Array<[number, number]>): Promise<string> {
  const proc = Bun.spawn([perf!, "script", "-i", perfData, "-F", "comm,time"], { stdout: "pipe", stderr: "ignore" });
  const text = await new Response(proc.stdout).text();
  const inside = new Map<string, number>();
  let total = 0;
  let w = 0;
  for (const line of text.split("\n")) {
    const m = /^\s*(.+?)\s+([\d.]+):\s*$/.exec(line);
    if (!m) continue;
    const t = Number(m[2]) * 1e6;
    while (w < windows.length && windows[w]![1] < t) w++;
    if (w >= windows.length) break;
    if (t < windows[w]![0]) continue;
    inside.set(m[1]!, (inside.get(m[1]!) ?? 0) + 1);
    total++;
  }
  const ms = windows.reduce((a, [s, e]) => a + e - s, 0) / 1000;
  const top = [...inside].sort((a, b) => b[1] - a[1]).slice(0, 8);
  return `  during ${windows.length} waits of 1 ms or more (${ms.toFixed(0)} ms): ${top.map(([name, n]) => `${name} ${((100 * n) / Math.max(1, total)).toFixed(0)}%`).join(", ")} (swapper = idle)`;
}
