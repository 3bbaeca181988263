/**
 * Upgrading a room with 10,000 bans (target: under 1 second), timed over HTTP. The
 * homeserver runs in this process; the bans are set up directly through the rooms
 * service in batches of 1,000 events (one transaction each), then
 * POST /rooms/{roomId}/upgrade is timed, and the replacement room's bans are counted.
 *
 *   ./node_modules/.bin/bun bench/room-upgrade.ts                 # SQLite
 *   HEARTH_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test ./node_modules/.bin/bun bench/room-upgrade.ts
 *
 * Env: BENCH_BANS (default 10000), BENCH_RUNS (rooms upgraded per database, default 3).
 * Each row also gives the CPU this process's threads used during the upgrade (Linux): the
 * main thread, the signing worker ("Worker"), JavaScriptCore's compiler and collector
 * threads, mimalloc's scavenger. On two cores their sum, with PostgreSQL's, bounds the time.
 */
import { runOnEachDatabase, type DatabaseSection } from "./support/databases.ts";
import { registerUser, request, startBenchServer } from "./support/server.ts";
import { threadCpuSince, threadTimes } from "./support/thread-times.ts";
import type { Homeserver } from "../src/homeserver.ts";
import { applyRuntimeTuning } from "../src/runtime-tuning.ts";

applyRuntimeTuning();

const BANS = Number(process.env.BENCH_BANS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** A room with some state and `BANS` bans, set up through the rooms service. */
async function roomWithBans(hs: Homeserver, baseUrl: string, owner: { userId: string; token: string }, run: number): Promise<string> {
  const created = await request(baseUrl, "POST", "/createRoom", owner.token, {
    preset: "public_chat",
    name: `upgrade bench ${run}`,
    topic: "a room full of spammers",
    room_alias_name: `bench-${run}`,
  });
  const roomId = created.room_id as string;
  for (let i = 0; i < BANS; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(BANS, i + 1000); j++) {
      batch.push({ type: "m.room.member", stateKey: `@spammer${j}:spam${j % 50}.example`, content: { membership: "ban", reason: "spam" }, sender: owner.userId });
    }
    await hs.services.rooms.events.create(roomId, batch);
  }
  return roomId;
}

async function runServer(label: string, database: DatabaseSection, dir: string): Promise<string[]> {
  const { hs, baseUrl, stop } = await startBenchServer(label, database, dir);
  const rows: string[] = [];
  try {
    const owner = await registerUser(baseUrl, "owner");
    for (let run = 0; run < RUNS; run++) {
      const setupStart = performance.now();
      const roomId = await roomWithBans(hs, baseUrl, owner, run);
      const setupMs = performance.now() - setupStart;
      const threads = threadTimes();
      const t0 = performance.now();
      const res = await request(baseUrl, "POST", `/rooms/${encodeURIComponent(roomId)}/upgrade`, owner.token, { new_version: "12" });
      const upgradeMs = performance.now() - t0;
      const cpu = threadCpuSince(threads);
      const copied = await hs.services.rooms.stores.rooms.members(res.replacement_room, "ban");
      if (copied.length !== BANS) throw new Error(`expected ${BANS} bans in the replacement room, found ${copied.length}`);
      rows.push(`| ${label} | ${BANS} | ${run + 1} | ${upgradeMs.toFixed(0)} | ${setupMs.toFixed(0)} | ${cpu || "-"} |`);
    }
  } finally {
    await stop();
  }
  return rows;
}

const rows = await runOnEachDatabase("upgrade", runServer);
console.log("| database | bans | run | upgrade ms (HTTP) | setup ms | CPU ms of this process's threads during the upgrade |");
console.log("|---|---|---|---|---|---|");
for (const row of rows) console.log(row);
