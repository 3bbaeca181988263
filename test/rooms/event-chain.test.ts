// RoomEvents.createChain: a long chain (a room upgrade's bans) built slice by slice while
// the writer writes the slices before, in one transaction.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { maxHops } from "../../src/storage/stores/state-groups.ts";
import { ChainSignatures } from "../../src/rooms/chain-signatures.ts";
import type { NewEvent } from "../../src/rooms/event-builder.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver, txn, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let bob: Account;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice, bob] = await registerUsers(t, "alice", "bob");
});
afterAll(() => t.stop());

const ban = (who: string): NewEvent => ({ type: "m.room.member", stateKey: who, content: { membership: "ban", reason: "spam" }, sender: alice.userId });

async function stateOf(roomId: string): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  for (const row of await t.hs.services.rooms.stores.rooms.currentState(roomId)) state.set(`${row.type}\u0000${row.stateKey}`, row.eventId);
  return state;
}

async function eventCount(roomId: string): Promise<number> {
  const rows = await t.hs.services.database.queryRaw<{ n: number | string }>("SELECT COUNT(*) AS n FROM events WHERE room_id = ?", [roomId]);
  return Number(rows[0]!.n);
}

test("a chain of several slices: one transaction, linked in order, state after every event recoverable", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  const rooms = t.hs.services.rooms;
  const before = await stateOf(roomId);
  const lastBefore = (await rooms.stores.rooms.forwardExtremities(roomId))[0]!.eventId;
  // Bans with messages among them (no state of their own: they share the last ban's).
  const events: NewEvent[] = [];
  for (let i = 0; i < 1150; i++) {
    events.push(i % 100 === 42 ? { type: "m.room.message", content: { body: `between ${i}` }, sender: alice.userId } : ban(`@spammer${i}:spam.example`));
  }
  const transactions: string[] = [];
  const stop = t.hs.services.database.stats.addListener((name) => transactions.push(name));
  const created = await rooms.events.createChain(roomId, events);
  stop();
  expect(transactions.filter((n) => n === "persist_event_chain")).toHaveLength(1);
  expect(transactions.filter((n) => n === "persist_events")).toHaveLength(0);
  expect(created).toHaveLength(events.length);

  const expected = new Map(before);
  const after: Array<Map<string, string>> = [];
  created.forEach((c, i) => {
    const e = events[i]!;
    if (e.stateKey !== undefined) expected.set(`${e.type}\u0000${e.stateKey}`, c.eventId);
    after.push(new Map(expected));
  });
  const groups = rooms.stores.stateGroups;
  // Around the slice boundaries (every 500 events), a message, and the end.
  for (const i of [0, 42, 43, 499, 500, 501, 999, 1000, 1149]) {
    const row = await rooms.stores.events.get(created[i]!.eventId);
    expect(row, `event ${i}`).toBeDefined();
    expect(await groups.stateAt(row!.stateGroup), `state after event ${i}`).toEqual(after[i]!);
    expect(JSON.parse(row!.pdu).prev_events, `prev of event ${i}`).toEqual([i === 0 ? lastBefore : created[i - 1]!.eventId]);
  }
  const orderings = created.map((c) => c.streamOrdering!);
  expect(orderings.every((o, i) => i === 0 || o === orderings[i - 1]! + 1)).toBe(true);
  expect(await stateOf(roomId)).toEqual(expected);
  expect(await rooms.stores.rooms.members(roomId, "ban")).toHaveLength(1150 - 12);
  expect((await rooms.stores.rooms.forwardExtremities(roomId)).map((x) => x.eventId)).toEqual([created.at(-1)!.eventId]);
  const last = await groups.info((await rooms.stores.events.get(created.at(-1)!.eventId))!.stateGroup);
  expect(last!.hops).toBeLessThanOrEqual(maxHops(last!.baseSize));

  // Later events chain on and see the whole chain; clients read it in order.
  const next = await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "after the chain" });
  expect(next.status).toBe(200);
  const nextRow = await rooms.stores.events.get(next.body.event_id);
  expect(JSON.parse(nextRow!.pdu).prev_events).toEqual([created.at(-1)!.eventId]);
  const page = await a("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=3`);
  expect(page.body.chunk.map((e: any) => e.event_id)).toEqual([next.body.event_id, created[1149]!.eventId, created[1148]!.eventId]);
});

test("a member changed again later in the chain, and one who had a membership, end with their last event", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  expect((await clientFor(t, bob)("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  const rooms = t.hs.services.rooms;
  const twice = "@twice:spam.example";
  const events: NewEvent[] = [ban(twice), ban(bob.userId)];
  for (let i = 0; i < 700; i++) events.push(ban(`@filler${i}:spam.example`));
  // In a later slice than its first ban: unbanned, then banned again with another reason.
  events.push({ type: "m.room.member", stateKey: twice, content: { membership: "leave" }, sender: alice.userId });
  events.push({ type: "m.room.member", stateKey: twice, content: { membership: "ban", reason: "again" }, sender: alice.userId });
  events.push({ type: "m.room.member", stateKey: "@unbanned:spam.example", content: { membership: "ban" }, sender: alice.userId });
  events.push({ type: "m.room.member", stateKey: "@unbanned:spam.example", content: { membership: "leave" }, sender: alice.userId });
  const created = await rooms.events.createChain(roomId, events);

  const membership = async (userId: string) => rooms.stores.rooms.membership(roomId, userId);
  expect(await membership(twice)).toMatchObject({ membership: "ban", eventId: created[703]!.eventId, banContent: JSON.stringify({ membership: "ban", reason: "again" }) });
  expect(await membership(bob.userId)).toMatchObject({ membership: "ban", eventId: created[1]!.eventId });
  expect(await membership("@unbanned:spam.example")).toMatchObject({ membership: "leave", eventId: created[705]!.eventId, banContent: null });
  expect(await membership("@filler699:spam.example")).toMatchObject({ membership: "ban", eventId: created[701]!.eventId });
  const bans = await t.hs.services.rooms.stores.rooms.members(roomId, "ban");
  expect(bans).toHaveLength(702);
  const state = await stateOf(roomId);
  expect(state.get(`m.room.member\u0000${twice}`)).toBe(created[703]!.eventId);
  expect(state.get(`m.room.member\u0000@unbanned:spam.example`)).toBe(created[705]!.eventId);
});

test("a send into the room while the chain is built waits for it and comes after it", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  const rooms = t.hs.services.rooms;
  const chain = rooms.events.createChain(
    roomId,
    Array.from({ length: 1200 }, (_, i) => ban(`@waiting${i}:spam.example`)),
  );
  const during = a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "sent during the chain" });
  const created = await chain;
  const res = await during;
  expect(res.status).toBe(200);
  const row = await rooms.stores.events.get(res.body.event_id);
  expect(JSON.parse(row!.pdu).prev_events).toEqual([created.at(-1)!.eventId]);
  expect(row!.streamOrdering).toBeGreaterThan(created.at(-1)!.streamOrdering!);
});

test("an event refused in a later slice fails the whole chain: nothing is written, the room goes on from before", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  await clientFor(t, bob)("POST", `/rooms/${enc(roomId)}/join`, {});
  const rooms = t.hs.services.rooms;
  const countBefore = await eventCount(roomId);
  const stateBefore = await stateOf(roomId);
  const lastBefore = (await rooms.stores.rooms.forwardExtremities(roomId))[0]!.eventId;
  const events = Array.from({ length: 1300 }, (_, i) => ban(`@doomed${i}:spam.example`));
  // Bob has no power to ban: the 1,201st event (third slice) is refused.
  events[1200] = { ...ban("@refused:spam.example"), sender: bob.userId };
  await expect(rooms.events.createChain(roomId, events)).rejects.toMatchObject({ status: 403, errcode: "M_FORBIDDEN" });

  expect(await eventCount(roomId)).toBe(countBefore);
  expect(await stateOf(roomId)).toEqual(stateBefore);
  expect(await rooms.stores.rooms.members(roomId, "ban")).toHaveLength(0);
  const next = await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "still here" });
  expect(next.status).toBe(200);
  const row = await rooms.stores.events.get(next.body.event_id);
  expect(JSON.parse(row!.pdu).prev_events).toEqual([lastBefore]);
  // The refused chain's positions are not reused in a way that breaks order.
  expect((await a("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=1`)).body.chunk[0].event_id).toBe(next.body.event_id);
});

test("a chain that fails after its state groups were written leaves the room as before; later state gets groups of its own", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  const rooms = t.hs.services.rooms;
  const countBefore = await eventCount(roomId);
  const stateBefore = await stateOf(roomId);
  // The chain's last write (its push outcomes' turn) fails: on PostgreSQL its state groups
  // were committed apart by then, on SQLite they roll back with the rest.
  const store = rooms.stores.persist;
  const persistChain = store.persistChain;
  store.persistChain = (chain, alsoWrite) =>
    persistChain.call(store, chain, async (orderings) => {
      await alsoWrite?.(orderings);
      throw new Error("refused at the end");
    });
  try {
    await expect(rooms.events.createChain(roomId, Array.from({ length: 700 }, (_, i) => ban(`@late${i}:spam.example`)))).rejects.toThrow("refused at the end");
  } finally {
    store.persistChain = persistChain;
  }
  expect(await eventCount(roomId)).toBe(countBefore);
  expect(await stateOf(roomId)).toEqual(stateBefore);
  expect(await rooms.stores.rooms.members(roomId, "ban")).toHaveLength(0);

  // State written afterwards gets fresh group ids (none collides with what the failed chain left).
  const created = await rooms.events.createChain(roomId, Array.from({ length: 700 }, (_, i) => ban(`@later${i}:spam.example`)));
  const topic = await a("PUT", `/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: "after" });
  expect(topic.status).toBe(200);
  const groups = rooms.stores.stateGroups;
  const last = await rooms.stores.events.get(created.at(-1)!.eventId);
  expect((await groups.stateAt(last!.stateGroup)).get(`m.room.member\u0000@later699:spam.example`)).toBe(created.at(-1)!.eventId);
  const topicRow = await rooms.stores.events.get(topic.body.event_id);
  expect((await groups.stateAt(topicRow!.stateGroup)).get("m.room.topic\u0000")).toBe(topic.body.event_id);
  expect(await rooms.stores.rooms.members(roomId, "ban")).toHaveLength(700);
});

test("a slice whose signing fails fails the chain; a chain after it is written whole", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  const rooms = t.hs.services.rooms;
  const countBefore = await eventCount(roomId);
  const complete = ChainSignatures.prototype.complete;
  let calls = 0;
  ChainSignatures.prototype.complete = async function (this: ChainSignatures, built, takeBack) {
    // The second slice's signatures never come.
    if (++calls === 2) throw new Error("signer lost");
    return complete.call(this, built, takeBack);
  };
  try {
    await expect(rooms.events.createChain(roomId, Array.from({ length: 1100 }, (_, i) => ban(`@lost${i}:spam.example`)))).rejects.toThrow("signer lost");
  } finally {
    ChainSignatures.prototype.complete = complete;
  }
  expect(await eventCount(roomId)).toBe(countBefore);
  const created = await rooms.events.createChain(roomId, Array.from({ length: 1100 }, (_, i) => ban(`@kept${i}:spam.example`)));
  expect(created).toHaveLength(1100);
  expect(await rooms.stores.rooms.members(roomId, "ban")).toHaveLength(1100);
  expect(await eventCount(roomId)).toBe(countBefore + 1100);
});

test("with cp_max: 1 a chain still commits (PostgreSQL keeps a second connection for what the transaction reads)", async () => {
  const one = await startRoomsHomeserver({ postgresArgs: { cp_min: 1, cp_max: 1 } });
  try {
    const [owner] = await registerUsers(one, "owner");
    const roomId = (await clientFor(one, owner!)("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
    const events = Array.from({ length: 700 }, (_, i): NewEvent => ({
      type: "m.room.member",
      stateKey: `@tiny${i}:spam.example`,
      content: { membership: "ban" },
      sender: owner!.userId,
    }));
    const created = await Promise.race([
      one.hs.services.rooms.events.createChain(roomId, events),
      Bun.sleep(20_000).then(() => {
        throw new Error("the chain did not commit within 20 s");
      }),
    ]);
    expect(created).toHaveLength(700);
    expect(await one.hs.services.rooms.stores.rooms.members(roomId, "ban")).toHaveLength(700);
  } finally {
    await one.stop();
  }
}, 30_000);

// A room's first events are processed for push after their commit, in transactions of their
// own; the chain's push outcomes are prepared inside its transaction once those are done.
test("a chain into a room created a moment before commits (an upgrade's bans)", async () => {
  const rooms = t.hs.services.rooms;
  const requester = { userId: alice.userId, deviceId: null, isGuest: false, isAdmin: false, tokenId: "chain-test" };
  const chained = rooms.createRoom(requester, { preset: "public_chat" }).then(({ roomId }) =>
    rooms.events.createChain(roomId, Array.from({ length: 20 }, (_, i) => ban(`@spammer${i}:spam.example`))),
  );
  const settled = await Promise.race([chained.then((c) => c.length), Bun.sleep(3000).then(() => "stuck")]);
  expect(settled).toBe(20);
});
