/**
 * Many idle homeservers in one process: RSS with 1, 10 and 100 homeservers on
 * SQLite, and the time of a GET /_synapse/metrics with 100 of them.
 * Run: bun bench/multi-homeserver.ts [scrapes]
 * Each count runs in a fresh process (this file re-runs itself with --child N).
 * The homeservers share one HTTP port (routed by Host), as a small host would
 * run them; the first also has a metrics listener.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { createHomeserver, ListenerHub, type Homeserver } from "../src/homeserver.ts";
import { setupLogging } from "../src/observability/logging.ts";
import { applyRuntimeTuning } from "../src/runtime-tuning.ts";

applyRuntimeTuning();

interface ChildResult {
  count: number;
  rssMb: number;
  heapMb: number;
  startMs: number;
  scrapeMs?: { median: number; p90: number; bytes: number };
}

function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function settledRssMb(): Promise<{ rssMb: number; heapMb: number }> {
  // Longer than the allocator's purge delay (runtime-tuning.ts), so freed memory is back with the kernel.
  for (let i = 0; i < 3; i++) {
    Bun.gc(true);
    await Bun.sleep(500);
  }
  const m = process.memoryUsage();
  return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 };
}

async function child(count: number, scrapes: number): Promise<ChildResult> {
  await setupLogging({ level: "warning" });
  const dir = mkdtempSync(join(tmpdir(), "hearth-bench-multi-"));
  const hub = new ListenerHub(100);
  const httpPort = freePort();
  const metricsPort = freePort();
  const homeservers: Homeserver[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const name = `hs${i}.bench.test`;
    const listeners: unknown[] = [{ port: httpPort, bind_addresses: ["127.0.0.1"], resources: [{ names: ["client"] }] }];
    if (i === 0) listeners.push({ port: metricsPort, bind_addresses: ["127.0.0.1"], type: "metrics" });
    const { config } = parseConfig(
      {
        server_name: name,
        enable_metrics: true,
        listeners,
        database: { name: "sqlite3", args: { database: join(dir, `${name}.db`) } },
        signing_key_path: join(dir, `${name}.key`),
      },
      join(dir, `${name}.yaml`),
    );
    const hs = createHomeserver(config, { listenerHub: hub });
    await hs.start();
    homeservers.push(hs);
  }
  const startMs = performance.now() - t0;
  // One request each, so every homeserver has its HTTP series as a real one would.
  for (const hs of homeservers) {
    const res = await fetch(`http://127.0.0.1:${httpPort}/_matrix/client/versions`, { headers: { host: hs.serverName } });
    if (!res.ok) throw new Error(`${hs.serverName}: ${res.status}`);
    await res.arrayBuffer();
  }
  const memory = await settledRssMb();
  let scrapeMs: ChildResult["scrapeMs"];
  if (scrapes > 0) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < scrapes + 3; i++) {
      const s = performance.now();
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/_synapse/metrics`)).text();
      if (i >= 3) times.push(performance.now() - s); // the first scrapes warm up the JIT
      bytes = text.length;
    }
    times.sort((a, b) => a - b);
    scrapeMs = { median: times[Math.floor(times.length / 2)]!, p90: times[Math.floor(times.length * 0.9)]!, bytes };
  }
  await Promise.all(homeservers.map((hs) => hs.stop()));
  rmSync(dir, { recursive: true, force: true });
  return { count, ...memory, startMs, scrapeMs };
}

async function runChild(count: number, scrapes: number): Promise<ChildResult> {
  const proc = Bun.spawn([process.execPath, import.meta.path, "--child", String(count), String(scrapes)], { stdout: "pipe", stderr: "inherit" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`child with ${count} homeservers failed`);
  return JSON.parse(out.trim().split("\n").at(-1)!) as ChildResult;
}

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(await child(Number(process.argv[3]), Number(process.argv[4] ?? 0))));
  process.exit(0);
}

const scrapes = Number(process.argv[2] ?? 30);
const empty = await runChild(0, 0);
const one = await runChild(1, 0);
const ten = await runChild(10, 0);
const hundred = await runChild(100, scrapes);
const mb = (x: number) => `${x.toFixed(1)} MB`;
console.log(`| homeservers | RSS | JS heap used | start all |`);
console.log(`|---|---|---|---|`);
for (const r of [empty, one, ten, hundred]) console.log(`| ${r.count} | ${mb(r.rssMb)} | ${mb(r.heapMb)} | ${r.startMs.toFixed(0)} ms |`);
console.log();
console.log(`| metric | result | target |`);
console.log(`|---|---|---|`);
console.log(`| RSS per additional idle homeserver (1 → 10) | ${mb((ten.rssMb - one.rssMb) / 9)} | < 2 MB |`);
console.log(`| RSS per additional idle homeserver (10 → 100) | ${mb((hundred.rssMb - ten.rssMb) / 90)} | < 2 MB |`);
console.log(`| RSS per additional idle homeserver (1 → 100) | ${mb((hundred.rssMb - one.rssMb) / 99)} | < 2 MB |`);
const s = hundred.scrapeMs!;
console.log(`| GET /_synapse/metrics, 100 homeservers (median of ${scrapes}) | ${s.median.toFixed(1)} ms (p90 ${s.p90.toFixed(1)} ms, ${(s.bytes / 1024).toFixed(0)} KiB) | < 50 ms |`);
