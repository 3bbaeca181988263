/**
 * Events sent per second into one room (50 members) by 1, 10 and 50 concurrent senders,
 * and the latency of a /messages page of 100, over HTTP. The homeserver runs in this
 * process; the load generator is wrk when it is installed (`apt install wrk`), else this
 * file with --client in a subprocess (BENCH_CLIENT=bun forces it).
 *
 *   ./node_modules/.bin/bun bench/events.ts                 # SQLite
 *   HEARTH_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test ./node_modules/.bin/bun bench/events.ts
 *
 * Env: BENCH_SECONDS (per run, default 5), BENCH_REPEATS (runs per scenario, default 3),
 * BENCH_CONCURRENCY (e.g. "1,10,50"), BENCH_WARMUP (seconds of unmeasured sending first,
 * default 10). Rows give the median run, with the range of rates.
 */
import { join } from "node:path";
import { runOnEachDatabase, type DatabaseSection } from "./support/databases.ts";
import { roomOfSenders, startBenchServer, writeSendScript } from "./support/server.ts";
import { applyRuntimeTuning } from "../src/runtime-tuning.ts";

applyRuntimeTuning();

interface ClientJob {
  baseUrl: string;
  roomId: string;
  tokens: string[];
  concurrency: number;
  seconds: number;
  messagesPages: number;
}

interface ClientResult {
  sent: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
  pageLatenciesMs: number[];
}


if (process.argv.includes("--client")) {
  const job = JSON.parse(process.argv[process.argv.indexOf("--client") + 1]!) as ClientJob;
  console.log(JSON.stringify(await runClient(job)));
  process.exit(0);
}

async function runClient(job: ClientJob): Promise<ClientResult> {
  const room = encodeURIComponent(job.roomId);
  const latenciesMs: number[] = [];
  let sent = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + job.seconds * 1000;
  await Promise.all(
    Array.from({ length: job.concurrency }, async (_, worker) => {
      const token = job.tokens[worker % job.tokens.length]!;
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        const res = await fetch(`${job.baseUrl}/_matrix/client/v3/rooms/${room}/send/m.room.message/w${worker}-${i}-${started}`, {
          method: "PUT",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ msgtype: "m.text", body: `message ${i} from worker ${worker}` }),
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          sent++;
          latenciesMs.push(performance.now() - t0);
        } else {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const pageLatenciesMs: number[] = [];
  for (let i = 0; i < job.messagesPages; i++) {
    const t0 = performance.now();
    const res = await fetch(`${job.baseUrl}/_matrix/client/v3/rooms/${room}/messages?dir=b&limit=100`, {
      headers: { authorization: `Bearer ${job.tokens[0]}` },
    });
    const body = (await res.json()) as { chunk?: unknown[] };
    if (res.status !== 200 || body.chunk?.length !== 100) throw new Error(`/messages failed: ${res.status}`);
    pageLatenciesMs.push(performance.now() - t0);
  }
  return { sent, errors, seconds, latenciesMs, pageLatenciesMs };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function runServer(label: string, database: DatabaseSection, dir: string): Promise<string[]> {
  const { baseUrl, stop } = await startBenchServer(label, database, dir);
  const rows: string[] = [];
  try {
    const { roomId, tokens } = await roomOfSenders(baseUrl, 50);

    const seconds = Number(process.env.BENCH_SECONDS ?? 5);
    const levels = (process.env.BENCH_CONCURRENCY ?? "1,10,50").split(",").map(Number);
    // This machine's speed drifts by a quarter between runs: each figure is the median
    // of `repeats` runs, with the range beside it.
    const repeats = Number(process.env.BENCH_REPEATS ?? 3);
    const wrk = process.env.BENCH_CLIENT === "bun" ? null : Bun.which("wrk");
    const generator = wrk ? "wrk" : "bun client";
    // JavaScriptCore keeps compiling the send path for 10-20 s (over a second of compile
    // time in the first 5 s of sending, measured with BUN_JSC_reportCompileTimes): without
    // this, the first scenario measures the JIT rather than the server a user runs for days.
    const warmup = Number(process.env.BENCH_WARMUP ?? 10);
    if (warmup > 0) {
      const job: ClientJob = { baseUrl, roomId, tokens, concurrency: 10, seconds: warmup, messagesPages: 0 };
      if (wrk) await wrkRun(wrk, job, dir);
      else await clientProcess(job);
    }
    for (const concurrency of levels) {
      const runs: SendRun[] = [];
      for (let r = 0; r < repeats; r++) {
        const job: ClientJob = { baseUrl, roomId, tokens, concurrency, seconds, messagesPages: 0 };
        runs.push(wrk ? await wrkRun(wrk, job, dir) : sendRunOf(await clientProcess(job)));
      }
      runs.sort((a, b) => a.rate - b.rate);
      const median = runs[Math.floor(runs.length / 2)]!;
      const range = runs.length > 1 ? ` (${runs[0]!.rate.toFixed(0)}–${runs.at(-1)!.rate.toFixed(0)})` : "";
      const errors = runs.reduce((n, r) => n + r.errors, 0);
      rows.push(`| ${label} | ${concurrency} (${generator}) | ${median.rate.toFixed(0)}${range} | ${median.p50Ms.toFixed(2)} | ${median.p99Ms.toFixed(2)} | ${errors} |`);
    }
    const pages = (await clientProcess({ baseUrl, roomId, tokens, concurrency: 0, seconds: 0, messagesPages: 200 })).pageLatenciesMs;
    rows.push(`| ${label} | /messages limit=100 (${pages.length}×) | - | ${percentile(pages, 50).toFixed(2)} | ${percentile(pages, 99).toFixed(2)} | 0 |`);
  } finally {
    await stop();
  }
  return rows;
}

interface SendRun {
  rate: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** The Bun load generator, in a subprocess (this file with --client). */
async function clientProcess(job: ClientJob): Promise<ClientResult> {
  const proc = Bun.spawn([process.execPath, import.meta.path, "--client", JSON.stringify(job)], { stdout: "pipe", stderr: "inherit" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error("load generator failed");
  return JSON.parse(out.trim().split("\n").at(-1)!) as ClientResult;
}

function sendRunOf(result: ClientResult): SendRun {
  return {
    rate: result.sent / result.seconds,
    p50Ms: percentile(result.latenciesMs, 50),
    p99Ms: percentile(result.latenciesMs, 99),
    errors: result.errors,
  };
}

/**
 * wrk as the load generator (one thread, `concurrency` connections): it needs a fraction
 * of the CPU a JavaScript client does, which on a 2-core machine goes to the server.
 * Each request sends as the next of the room's members, with a fresh transaction id.
 */
async function wrkRun(wrk: string, job: ClientJob, dir: string): Promise<SendRun> {
  const script = join(dir, "send.lua");
  await writeSendScript(script, job.roomId, job.tokens);
  const proc = Bun.spawn([wrk, "-t", "1", "-c", String(job.concurrency), "-d", `${job.seconds}s`, "--latency", "-s", script, job.baseUrl], { stdout: "pipe", stderr: "inherit" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`wrk failed: ${out}`);
  const ms = (label: string) => {
    const m = out.match(new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`));
    if (!m) throw new Error(`wrk printed no ${label} latency: ${out}`);
    return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
  };
  const total = Number(out.match(/(\d+) requests in/)?.[1] ?? 0);
  const errors = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0) + Number(out.match(/Socket errors:.*timeout (\d+)/)?.[1] ?? 0);
  return { rate: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? 0) * (total > 0 ? (total - errors) / total : 0), p50Ms: ms("50%"), p99Ms: ms("99%"), errors };
}

const rows = await runOnEachDatabase("events", runServer);
console.log("| database | concurrent senders | events/s | p50 ms | p99 ms | errors |");
console.log("|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
