/**
 * Main-thread CPU per send with no sockets: PUT /send requests handed straight to the
 * homeserver's fetch, 1, 10 and 50 at a time, into a room of 50 members (SQLite). Shows
 * what a send costs alone and beside others without the load generator's noise; a
 * measuring aid for bench/events.ts, not a README figure.
 *
 *   ./node_modules/.bin/bun bench/send-in-process.ts
 *   ./node_modules/.bin/bun --preload ./bench/support/count-statements.ts bench/send-in-process.ts   # + SQL per send
 *
 * Env: SEND_BATCHES (default "1,10,50"), SEND_COUNT (sends per measurement, default 10000).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { roomOfSenders, startBenchServer } from "./support/server.ts";
import { applyRuntimeTuning } from "../src/runtime-tuning.ts";

applyRuntimeTuning();

const batches = (process.env.SEND_BATCHES ?? "1,10,50").split(",").map(Number);
const count = Number(process.env.SEND_COUNT ?? 10_000);

/** CPU ticks (1/100 s) of this process's main thread. */
function mainThreadTicks(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

const dir = mkdtempSync(join(tmpdir(), "hearth-send-in-process-"));
const { hs, baseUrl, stop } = await startBenchServer("SQLite", { name: "sqlite3", args: { database: join(dir, "bench.db") } }, dir);
try {
  const { roomId, tokens } = await roomOfSenders(baseUrl, 50);
  const path = `${baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/`;
  let n = 0;
  const send = async () => {
    const i = n++;
    const req = new Request(`${path}t${i}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${tokens[i % tokens.length]}`, "content-type": "application/json" },
      body: JSON.stringify({ msgtype: "m.text", body: `message ${i}` }),
    });
    const res = await hs.fetch(req, undefined, { remoteAddress: "127.0.0.1" });
    if (res.status !== 200) throw new Error(`send ${i}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  const run = async (batch: number) => {
    for (let i = 0; i < count; i += batch) await Promise.all(Array.from({ length: batch }, send));
  };
  await run(10); // warm-up: the JIT settles
  await run(10);
  const sql = (globalThis as { __sqlcounts?: Map<string, [number, number]> }).__sqlcounts;
  for (const batch of batches) {
    sql?.clear();
    const ticks = mainThreadTicks();
    const started = performance.now();
    await run(batch);
    const wallUs = ((performance.now() - started) * 1000) / count;
    console.log(`${batch} at a time: main thread ${(((mainThreadTicks() - ticks) * 10_000) / count).toFixed(0)} µs per send (${wallUs.toFixed(0)} µs wall)`);
    if (sql) {
      let total = 0;
      for (const [, [, ms]] of sql) total += ms;
      console.log(`  SQL ${((total * 1000) / count).toFixed(0)} µs per send`);
    }
  }
} finally {
  await stop();
  rmSync(dir, { recursive: true, force: true });
}
