/**
 * /sync benchmarks, on an in-process homeserver over real HTTP: SQLite, then
 * PostgreSQL when HEARTH_BENCH_POSTGRES=<url> is set.
 * Run: bun bench/sync.ts
 *
 *  - wake latency: a long-polling /sync of bob is waiting; alice PUTs a message;
 *    time from the start of the PUT to bob's /sync returning (median of 200).
 *  - initial sync of a user in 100 rooms with 50 messages each (median of 10),
 *    with the default filter and with lazy-loading members.
 *  - 1,000 idle long-polls: RSS growth of the homeserver process while a child
 *    process holds 1,000 /sync requests of 1,000 users open.
 *  - a send into a room of 1,000 members: PUT latency, and wake latency of a
 *    member's /sync (push rules run for every member before it is woken).
 */
import type { Homeserver } from "../src/homeserver.ts";
import type { Requester } from "../src/http/context.ts";
import { runOnEachDatabase, type DatabaseSection } from "./support/databases.ts";
import { startBenchServer } from "./support/server.ts";
import { applyRuntimeTuning } from "../src/runtime-tuning.ts";

applyRuntimeTuning();

interface User {
  userId: string;
  token: string;
  requester: Requester;
}

/** Users made through the stores (no password hashing), each with a device and a token. */
async function makeUsers(hs: Homeserver, prefix: string, n: number): Promise<User[]> {
  const s = hs.services;
  const out: User[] = [];
  for (let i = 0; i < n; i++) {
    const userId = `@${prefix}${i}:${hs.serverName}`;
    await s.stores.users.create({ userId, createdTs: Date.now(), displayname: `${prefix} ${i}` });
    await s.stores.devices.upsert(userId, "DEV", null, Date.now());
    const token = await s.accessTokens.issue(userId, "DEV");
    out.push({ userId, token, requester: { userId, deviceId: "DEV", isGuest: false, isAdmin: false, tokenId: token } });
  }
  return out;
}

function api(base: string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<any> => {
    const r = await fetch(`${base}/_matrix/client/v3${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
let txn = 0;

async function wakeLatency(base: string, sender: User, receiver: User, roomId: string, runs: number): Promise<number[]> {
  const a = api(base, sender.token);
  const b = api(base, receiver.token);
  let since = (await b("GET", "/sync?set_presence=offline&timeout=0")).next_batch;
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const waiting = b("GET", `/sync?set_presence=offline&timeout=30000&since=${since}`);
    await Bun.sleep(5);
    const t0 = performance.now();
    const sent = a("PUT", `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${++txn}`, { msgtype: "m.text", body: `ping ${i}` });
    const body = await waiting;
    out.push(performance.now() - t0);
    await sent;
    since = body.next_batch;
    if (!body.rooms?.join?.[roomId]) i--; // woken by something else: measure again
  }
  return out;
}

async function timedSends(base: string, sender: User, roomId: string, runs: number): Promise<number[]> {
  const a = api(base, sender.token);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await a("PUT", `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/s${++txn}`, { msgtype: "m.text", body: `hello ${i}` });
    out.push(performance.now() - t0);
  }
  return out;
}

function rssMb(): number {
  Bun.gc(true);
  return process.memoryUsage().rss / 1024 / 1024;
}

async function runServer(label: string, database: DatabaseSection, dir: string): Promise<string[]> {
  const rows: Array<[string, string]> = [];
  const { hs, baseUrl: base, stop } = await startBenchServer(label, database, dir);
  try {
    const s = hs.services;

    // 1. Wake latency in a two-member room.
    const [alice, bob] = await makeUsers(hs, "wake", 2);
    const { roomId: small } = await s.rooms.createRoom(alice!.requester, { preset: "public_chat" });
    await s.rooms.membership.update(bob!.requester, small, "join");
    await wakeLatency(base, alice!, bob!, small, 20); // warm-up
    const wake = await wakeLatency(base, alice!, bob!, small, 200);
    rows.push(["wake latency, 2-member room (median / p90)", `${median(wake).toFixed(2)} ms / ${p90(wake).toFixed(2)} ms`]);

    // 2. Initial sync: 100 rooms x 50 messages.
    const [reader] = await makeUsers(hs, "reader", 1);
    let setupStart = performance.now();
    for (let r = 0; r < 100; r++) {
      const { roomId } = await s.rooms.createRoom(reader!.requester, { preset: "private_chat", name: `Room ${r}` });
      for (let m = 0; m < 50; m++) {
        await s.rooms.sending.sendMessage(reader!.requester, roomId, "m.room.message", { msgtype: "m.text", body: `message ${m} in room ${r}` }, `i${r}-${m}`);
      }
    }
    await s.notifier.flush();
    console.error(`(set up 100 rooms x 50 events in ${((performance.now() - setupStart) / 1000).toFixed(1)} s)`);
    const r = api(base, reader!.token);
    const initial: number[] = [];
    const lazy: number[] = [];
    const llFilter = encodeURIComponent(JSON.stringify({ room: { state: { lazy_load_members: true } } }));
    for (let i = 0; i < 12; i++) {
      let t0 = performance.now();
      const body = await r("GET", "/sync?set_presence=offline");
      if (i >= 2) initial.push(performance.now() - t0);
      if (Object.keys(body.rooms.join).length !== 100) throw new Error("initial sync is missing rooms");
      t0 = performance.now();
      await r("GET", `/sync?set_presence=offline&filter=${llFilter}`);
      if (i >= 2) lazy.push(performance.now() - t0);
    }
    rows.push(["initial sync, 100 rooms x 50 events (median)", `${median(initial).toFixed(1)} ms`]);
    rows.push(["  same, lazy-loading members (median)", `${median(lazy).toFixed(1)} ms`]);

    // 3. 1,000 idle long-polls held by a child process.
    const idlers = await makeUsers(hs, "idle", 1000);
    const tokens = idlers.map((u) => u.token);
    // First syncs outside the measurement: each user's presence and caches exist once.
    const sinces: string[] = [];
    for (const u of idlers) sinces.push((await api(base, u.token)("GET", "/sync?timeout=0")).next_batch);
    // Settled past the allocator's purge delay (runtime-tuning.ts): freed memory is back with the kernel.
    await Bun.sleep(1500);
    rssMb();
    await Bun.sleep(500);
    const before = rssMb();
    const waitersBefore = s.notifier.waiting;
    const child = Bun.spawn([process.execPath, "-e", `
      const [base, tokens, sinces] = JSON.parse(process.argv[1]);
      const pending = tokens.map((t, i) => fetch(base + "/_matrix/client/v3/sync?timeout=120000&since=" + sinces[i], { headers: { authorization: "Bearer " + t } }).catch(() => {}));
      await new Promise((r) => setTimeout(r, 60000));
    `, JSON.stringify([base, tokens, sinces])], {
      stdout: "ignore",
      stderr: "inherit",
      // Bun's fetch allows 256 concurrent requests unless told otherwise.
      env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "4096" },
    });
    setupStart = performance.now();
    while (s.notifier.waiting - waitersBefore < 1000 && performance.now() - setupStart < 30_000) await Bun.sleep(100);
    const held = s.notifier.waiting - waitersBefore;
    await Bun.sleep(1500);
    const during = rssMb();
    child.kill();
    await child.exited;
    // Disconnected clients release their long-polls (the request's abort signal).
    await Bun.sleep(500);
    const left = s.notifier.waiting - waitersBefore;
    rows.push([`1,000 idle long-polls: RSS growth (${held} held)`, `${(during - before).toFixed(1)} MB (${before.toFixed(0)} → ${during.toFixed(0)} MB)`]);
    rows.push(["  long-polls still parked 0.5 s after the clients went away", String(left)]);

    // 4. A room of 1,000 members.
    const { roomId: big } = await s.rooms.createRoom(alice!.requester, { preset: "public_chat" });
    setupStart = performance.now();
    for (const u of idlers) await s.rooms.membership.update(u.requester, big, "join", { ratelimit: false });
    await s.rooms.membership.update(bob!.requester, big, "join");
    await s.notifier.flush();
    console.error(`(joined 1,000 members in ${((performance.now() - setupStart) / 1000).toFixed(1)} s)`);
    await timedSends(base, alice!, big, 10); // warm-up: rulesets compiled and cached
    const sends = await timedSends(base, alice!, big, 100);
    rows.push(["send into a 1,000-member room (median)", `${median(sends).toFixed(2)} ms`]);
    const bigWake = await wakeLatency(base, alice!, bob!, big, 100);
    rows.push(["  wake latency there, push rules of 1,000 members included (median)", `${median(bigWake).toFixed(2)} ms`]);
  } finally {
    await stop();
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`\n/sync benchmark (${label}, bun ${Bun.version})\n`, ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`)];
}

for (const line of await runOnEachDatabase("sync", runServer)) console.log(line);
process.exit(0);
