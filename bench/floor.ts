/**
 * The floor under bench/events.ts: what a send costs on this machine with nothing but the
 * work no homeserver can skip, so the send targets can be judged against the machine.
 * A bare Bun.serve handler (no router, auth, rate limits, push rules, logging or metrics)
 * takes the same PUT over HTTP from wrk and does per request: a token hash, the JSON body,
 * an event's content hash, ed25519 signature and reference hash, and one SQLite
 * transaction writing the rows a lone send writes (the event with the events table's
 * indexes, the forward extremity, the push default row), on Hearth's own schema with its
 * pragmas (a repeated transaction id is refused by its unique index, as in Hearth: no
 * lookup first). No batching: one transaction per request, as one sender
 * gets. WAL checkpoints are left out (Hearth runs them on a worker thread). A second
 * handler only reads the JSON body and answers: the part of a round trip that is HTTP,
 * the load generator's Lua script and the kernel, which no server code can remove.
 *
 *   ./node_modules/.bin/bun bench/floor.ts
 *
 * Env: BENCH_SECONDS (per run, default 5), BENCH_REPEATS (default 3), BENCH_CONCURRENCY
 * (default "1,10"). Needs wrk (apt install wrk).
 */
import { Database as SQLite } from "bun:sqlite";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/storage/database.ts";
import { migrateDatabase } from "../src/storage/migrate.ts";
import { applyRuntimeTuning } from "../src/runtime-tuning.ts";

applyRuntimeTuning();

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const levels = (process.env.BENCH_CONCURRENCY ?? "1,10").split(",").map(Number);
const wrk = Bun.which("wrk");
if (!wrk) throw new Error("bench/floor.ts needs wrk (apt install wrk)");

const dir = mkdtempSync(join(tmpdir(), "hearth-floor-"));
const path = join(dir, "floor.db");
// Hearth's schema, then a plain connection with Hearth's pragmas.
const migrated = await openDatabase({ kind: "sqlite", path });
await migrateDatabase(migrated, Date.now());
await migrated.close();
const db = new SQLite(path, { strict: true });
db.exec("PRAGMA journal_mode = WAL");
db.exec("PRAGMA synchronous = NORMAL");
db.exec("PRAGMA wal_autocheckpoint = 0");

const ROOM = "!FloorRoomAbcdefghijklmnopqrstuvwxyz0123456:bench.local";
const insertEvent = db.prepare(
  `INSERT INTO events (stream_ordering, event_id, room_id, depth, type, state_key, sender, origin_server_ts, membership, pdu, unsigned,
     state_group, rel_type, relates_to, contains_url, txn_scope, txn_id) VALUES (?, ?, ?, ?, 'm.room.message', NULL, ?, ?, NULL, ?, NULL, 1, NULL, NULL, 0, ?, ?)`,
);
const dropExtremities = db.prepare("DELETE FROM room_forward_extremities WHERE room_id = ?");
const addExtremity = db.prepare("INSERT INTO room_forward_extremities (room_id, event_id) VALUES (?, ?)");
const pushDefault = db.prepare(
  `INSERT INTO event_push_defaults (stream_ordering, event_id, room_id, thread_id, sender, notif, highlight, actions, ts)
   VALUES (?, ?, ?, 'main', ?, 1, 0, '["notify"]', ?)`,
);

const { privateKey } = generateKeyPairSync("ed25519");
const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest();
const users = new Map(Array.from({ length: 50 }, (_, i) => [sha256(`token${i}`).toString("hex"), `@sender${i}:bench.local`]));
let stream = 0;
let prev = "$start";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = req.url;
    const txnId = url.slice(url.lastIndexOf("/") + 1);
    const sender = users.get(sha256((req.headers.get("authorization") ?? "").slice(7)).toString("hex"));
    if (!sender) return Response.json({ errcode: "M_UNKNOWN_TOKEN", error: "Unknown token" }, { status: 401 });
    const content = (await req.json()) as Record<string, unknown>;
    const scope = `d:${sender}|DEVICE`;
    const so = ++stream;
    const event = {
      auth_events: ["$create", "$power", "$member"],
      content,
      depth: so,
      origin_server_ts: Date.now(),
      prev_events: [prev],
      room_id: ROOM,
      sender,
      type: "m.room.message",
    };
    const hashed = { ...event, hashes: { sha256: sha256(JSON.stringify(event)).toString("base64") } };
    const signable = Buffer.from(JSON.stringify(hashed));
    const pdu = JSON.stringify({ ...hashed, signatures: { "bench.local": { "ed25519:a": sign(null, signable, privateKey).toString("base64") } } });
    const eventId = `$${sha256(signable).toString("base64url")}`;
    db.exec("BEGIN IMMEDIATE");
    insertEvent.run(so, eventId, ROOM, so, sender, event.origin_server_ts, pdu, scope, txnId);
    dropExtremities.run(ROOM);
    addExtremity.run(ROOM, eventId);
    pushDefault.run(so, eventId, ROOM, sender, event.origin_server_ts);
    db.exec("COMMIT");
    prev = eventId;
    return Response.json({ event_id: eventId });
  },
});

// The same request answered with no work at all.
const httpOnly = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    await req.json();
    return Response.json({ event_id: "$floor" });
  },
});

const script = join(dir, "send.lua");
await Bun.write(
  script,
  `local counter = 0
local run = tostring(os.time())
function request()
  counter = counter + 1
  local headers = { ["Authorization"] = "Bearer token" .. (counter % 50), ["Content-Type"] = "application/json" }
  return wrk.format("PUT", "/_matrix/client/v3/rooms/x/send/m.room.message/" .. run .. "-" .. counter, headers, '{"msgtype":"m.text","body":"message ' .. counter .. '"}')
end
`,
);

async function runWrk(connections: number, s: number, port = server.port): Promise<number> {
  const proc = Bun.spawn([wrk!, "-t", "1", "-c", String(connections), "-d", `${s}s`, "-s", script, `http://127.0.0.1:${port}`], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  if (/Non-2xx/.test(out)) throw new Error(`errors in the floor run: ${out}`);
  return Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? 0);
}

try {
  await runWrk(10, 5); // warm-up: the JIT settles
  console.log("| floor (bench/floor.ts) | connections | requests/s |");
  console.log("|---|---|---|");
  const row = (label: string, c: number, rates: number[]) => {
    rates.sort((a, b) => a - b);
    console.log(`| ${label} | ${c} | ${rates[Math.floor(rates.length / 2)]!.toFixed(0)} (${rates[0]!.toFixed(0)}–${rates.at(-1)!.toFixed(0)}) |`);
  };
  for (const c of levels) {
    const rates: number[] = [];
    for (let r = 0; r < repeats; r++) {
      db.query("PRAGMA wal_checkpoint(TRUNCATE)").get();
      rates.push(await runWrk(c, seconds));
    }
    row("SQLite, one transaction per request", c, rates);
  }
  await runWrk(1, 2, httpOnly.port); // warm-up
  const bare: number[] = [];
  for (let r = 0; r < repeats; r++) bare.push(await runWrk(1, seconds, httpOnly.port));
  row("HTTP only: the body read, a fixed answer", 1, bare);
} finally {
  server.stop(true);
  httpOnly.stop(true);
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
