import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { maxHops } from "../../src/storage/stores/state-groups.ts";
import { BULK_SIGNING_MIN_EVENTS, ChainSignatures } from "../../src/rooms/chain-signatures.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver, txn, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice] = await registerUsers(t, "alice");
});
afterAll(() => t.stop());

test("state at any event is recoverable across delta chains and snapshots", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", {})).body.room_id;
  const rooms = t.hs.services.rooms;
  const expected = new Map<string, string>();
  for (const row of await rooms.stores.rooms.currentState(roomId)) expected.set(`${row.type}\u0000${row.stateKey}`, row.eventId);

  const checkpoints: Array<{ eventId: string; state: Map<string, string> }> = [];
  for (let i = 0; i < 260; i++) {
    const key = `k${i % 120}`;
    const res = await a("PUT", `/rooms/${enc(roomId)}/state/org.example.counter/${key}`, { i });
    expect(res.status).toBe(200);
    expected.set(`org.example.counter\u0000${key}`, res.body.event_id);
    if (i % 37 === 0 || i === 259) {
      // A message after the state event shares its state.
      const msg = await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: `after ${i}` });
      checkpoints.push({ eventId: msg.body.event_id, state: new Map(expected) });
    }
  }
  for (const cp of checkpoints) {
    const row = await rooms.stores.events.get(cp.eventId);
    const state = await rooms.stores.stateGroups.stateAt(row!.stateGroup);
    expect(state).toEqual(cp.state);
    // Targeted lookups agree with the full state.
    const some = await rooms.stores.stateGroups.stateAt(row!.stateGroup, { keys: [{ type: "org.example.counter", stateKey: "k5" }, { type: "m.room.create", stateKey: "" }] });
    expect([...some.keys()].sort()).toEqual(["m.room.create\u0000", "org.example.counter\u0000k5"].filter((k) => cp.state.has(k)).sort());
  }
  // Many groups at once (a page's worth, across chains and snapshots) agree with one by one.
  const keys = [{ type: "org.example.counter", stateKey: "k5" }, { type: "org.example.counter", stateKey: "k100" }, { type: "m.room.create", stateKey: "" }];
  const pageGroups = (await rooms.stores.events.page({ roomId, dir: "f", limit: 1000 })).map((r) => r.stateGroup);
  expect(new Set(pageGroups).size).toBeGreaterThan(200);
  const many = await rooms.stores.stateGroups.keysAtMany(pageGroups, keys);
  expect(many.size).toBe(new Set(pageGroups).size);
  // Compared one by one on a sample spread over every chain segment (each group would
  // take seconds on PostgreSQL): every ninth group and the last.
  const distinct = [...new Set(pageGroups)].sort((x, y) => x - y);
  const sample = distinct.filter((_, i) => i % 9 === 0 || i === distinct.length - 1);
  expect(sample.length).toBeGreaterThan(25);
  await Promise.all(sample.map(async (group) => expect(many.get(group)).toEqual(await rooms.stores.stateGroups.stateAt(group, { keys }))));
  const groups = await t.hs.services.database.queryRaw<{ snapshots: number | string; total: number | string; longest: number | string }>(
    "SELECT SUM(CASE WHEN prev_group IS NULL THEN 1 ELSE 0 END) AS snapshots, COUNT(*) AS total, MAX(hops) AS longest FROM state_groups WHERE room_id = ?",
    [roomId],
  );
  // 6 initial state events (create, member, power levels, join rules, history visibility, guest access).
  expect(Number(groups[0]!.total)).toBe(260 + 6);
  expect(Number(groups[0]!.snapshots)).toBe(3);
  expect(Number(groups[0]!.longest)).toBe(100);
  // Current state and memberships match.
  const current = await rooms.stores.rooms.currentState(roomId);
  expect(new Map(current.map((r) => [`${r.type}\u0000${r.stateKey}`, r.eventId]))).toEqual(expected);
});

test("chains may grow with the snapshot they start from", () => {
  expect(maxHops(10)).toBe(100);
  expect(maxHops(800)).toBe(100);
  expect(maxHops(8000)).toBe(1000);
});

test("concurrent sends into one room form a single chain, committed in batches", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", {})).body.room_id;
  const ids = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => (await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: `c${i}` })).body.event_id as string),
  );
  expect(new Set(ids).size).toBe(40);
  const page = await a("GET", `/rooms/${enc(roomId)}/messages?dir=f&limit=100`);
  const rooms = t.hs.services.rooms;
  const rows = await rooms.stores.events.getMany(page.body.chunk.map((e: any) => e.event_id));
  const ordered = page.body.chunk.map((e: any) => rows.get(e.event_id)!);
  for (let i = 1; i < ordered.length; i++) {
    const pdu = JSON.parse(ordered[i]!.pdu);
    expect(pdu.prev_events).toEqual([ordered[i - 1]!.eventId]);
    expect(pdu.depth).toBe(JSON.parse(ordered[i - 1]!.pdu).depth + 1);
    expect(ordered[i]!.streamOrdering).toBeGreaterThan(ordered[i - 1]!.streamOrdering);
  }
  const extremities = await rooms.stores.rooms.forwardExtremities(roomId);
  expect(extremities.map((e) => e.eventId)).toEqual([ordered.at(-1)!.eventId]);
});

test("a failed commit drops the room's in-memory head; the next event chains onto what was committed", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", {})).body.room_id;
  const ok = await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "kept" });
  const persist = t.hs.services.rooms.stores.persist;
  const original = persist.persist.bind(persist);
  persist.persist = async () => {
    throw new Error("disk on fire");
  };
  const failed = await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "lost" });
  persist.persist = original;
  expect(failed.status).toBe(500);
  const next = await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "next" });
  expect(next.status).toBe(200);
  const row = await t.hs.services.rooms.stores.events.get(next.body.event_id);
  expect(JSON.parse(row!.pdu).prev_events).toEqual([ok.body.event_id]);
  const bodies = (await a("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=3`)).body.chunk.map((e: any) => e.content.body);
  expect(bodies.slice(0, 2)).toEqual(["next", "kept"]);
});

test("a batch of state events in one transaction: state after each is recoverable, the chain's end stays within its limit", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", {})).body.room_id;
  const rooms = t.hs.services.rooms;
  const expected = new Map<string, string>();
  for (const row of await rooms.stores.rooms.currentState(roomId)) expected.set(`${row.type}\u0000${row.stateKey}`, row.eventId);
  const batch = Array.from({ length: 350 }, (_, i) => ({ type: "org.example.batch", stateKey: `k${i % 200}`, content: { i }, sender: alice.userId }));
  const created = await rooms.events.create(roomId, batch);
  const after: Array<Map<string, string>> = [];
  created.forEach((c, i) => {
    expected.set(`org.example.batch\u0000k${i % 200}`, c.eventId);
    after.push(new Map(expected));
  });
  for (const i of [0, 1, 150, 199, 200, 349]) {
    const row = await rooms.stores.events.get(created[i]!.eventId);
    expect(await rooms.stores.stateGroups.stateAt(row!.stateGroup)).toEqual(after[i]!);
  }
  const last = await rooms.stores.events.get(created.at(-1)!.eventId);
  const info = await rooms.stores.stateGroups.info(last!.stateGroup);
  expect(info!.hops).toBeLessThanOrEqual(maxHops(info!.baseSize));
  // Later events chain on and see the whole batch.
  const res = await a("PUT", `/rooms/${enc(roomId)}/state/org.example.batch/k0`, { i: "later" });
  expected.set("org.example.batch\u0000k0", res.body.event_id);
  const row = await rooms.stores.events.get(res.body.event_id);
  expect(await rooms.stores.stateGroups.stateAt(row!.stateGroup)).toEqual(expected);
});

test("a bulk chain waiting for its signatures holds back no other room; one whose signing fails is not kept", async () => {
  const a = clientFor(t, alice);
  const rooms = t.hs.services.rooms;
  const bulkRoom = (await a("POST", "/createRoom", {})).body.room_id;
  const otherRoom = (await a("POST", "/createRoom", {})).body.room_id;
  const bans = (tag: string) =>
    Array.from({ length: BULK_SIGNING_MIN_EVENTS }, (_, i) => ({
      type: "m.room.member",
      stateKey: `@${tag}${i}:spam.example`,
      content: { membership: "ban" },
      sender: alice.userId,
    }));

  // The pool answers only when told to.
  const pool = rooms.signingPool;
  const sign = pool.sign.bind(pool);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  pool.sign = async (messages) => {
    await gate;
    return sign(messages);
  };
  try {
    const bulk = rooms.events.create(bulkRoom, bans("held"));
    const other = await a("PUT", `/rooms/${enc(otherRoom)}/send/m.room.message/${txn()}`, { body: "not held back" });
    expect(other.status).toBe(200);
    release();
    expect(await bulk).toHaveLength(BULK_SIGNING_MIN_EVENTS);
  } finally {
    pool.sign = sign;
  }

  const complete = ChainSignatures.prototype.complete;
  ChainSignatures.prototype.complete = async () => {
    throw new Error("signer lost");
  };
  try {
    await expect(rooms.events.create(bulkRoom, bans("lost"))).rejects.toThrow("signer lost");
  } finally {
    ChainSignatures.prototype.complete = complete;
  }
  expect(await rooms.stores.rooms.members(bulkRoom, "ban")).toHaveLength(BULK_SIGNING_MIN_EVENTS);
  // The room goes on from what was committed.
  const next = await a("PUT", `/rooms/${enc(bulkRoom)}/send/m.room.message/${txn()}`, { body: "after" });
  expect(next.status).toBe(200);
  const row = await rooms.stores.events.get(next.body.event_id);
  const extremitiesBefore = JSON.parse(row!.pdu).prev_events as string[];
  const prev = await rooms.stores.events.get(extremitiesBefore[0]!);
  expect(prev!.stateKey).toBe(`@held${BULK_SIGNING_MIN_EVENTS - 1}:spam.example`);
});

test("current state without members keeps every other type, those sorting around m.room.member too", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  for (const type of ["a.before", "m.room.membea", "m.room.member.extra", "m.room.memberz", "zz.after"]) {
    expect((await a("PUT", `/rooms/${enc(roomId)}/state/${type}/`, { type })).status).toBe(200);
  }
  const { rooms } = t.hs.services.rooms.stores;
  const all = await rooms.currentState(roomId);
  const withoutMembers = await rooms.currentState(roomId, { excludeTypes: ["m.room.member"] });
  const types = (rows: Array<{ type: string }>) => rows.map((r) => r.type).sort();
  expect(types(withoutMembers)).toEqual(types(all.filter((r) => r.type !== "m.room.member")));
  expect(types(withoutMembers)).toEqual(expect.arrayContaining(["a.before", "m.room.membea", "m.room.member.extra", "m.room.memberz", "zz.after"]));
  expect(all.some((r) => r.type === "m.room.member")).toBe(true);
  const withoutTwo = await rooms.currentState(roomId, { excludeTypes: ["m.room.member", "zz.after"] });
  expect(types(withoutTwo)).toEqual(types(all.filter((r) => r.type !== "m.room.member" && r.type !== "zz.after")));
});
