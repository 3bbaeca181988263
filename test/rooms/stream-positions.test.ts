// Stream orderings only grow: across restarts, after the newest events are gone (a purge),
// and after a write that failed. Sync tokens name positions, so a position given out twice
// would hide an event from every client whose token is past it. (SQLite hands positions
// out from blocks reserved in stream_positions; PostgreSQL takes each from the row.)
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startRestartableHomeserver, type RestartableHomeserver } from "../sync/restartable.ts";
import { clientFor, createRoomAs, enc, expectStatus, registerUsers, roomPath, txn, type Account } from "./helpers.ts";

let t: RestartableHomeserver;
let alice: Account;
let roomId: string;

beforeAll(async () => {
  t = await startRestartableHomeserver();
  [alice] = await registerUsers(t, "alice");
  roomId = await createRoomAs(clientFor(t, alice!));
});
afterAll(() => t.stop());

async function send(body: string, room = roomId): Promise<string> {
  const res = await clientFor(t, alice!)("PUT", `${roomPath(room)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body });
  expectStatus(res, 200);
  return res.body.event_id;
}

async function orderingOf(eventId: string): Promise<number> {
  const rows = await t.hs.services.database.queryRaw<{ stream_ordering: number | string }>("SELECT stream_ordering FROM events WHERE event_id = ?", [eventId]);
  return Number(rows[0]!.stream_ordering);
}

async function bodiesSince(since: string): Promise<{ bodies: string[]; next: string }> {
  const res = await clientFor(t, alice!)("GET", `/sync?since=${enc(since)}&timeout=0`);
  expect(res.status).toBe(200);
  const timeline = res.body.rooms?.join?.[roomId]?.timeline?.events ?? [];
  return { bodies: timeline.map((e: any) => e.content?.body), next: res.body.next_batch };
}

test("after a restart new events come after every earlier one, and an old since token sees exactly them", async () => {
  const before = await send("before");
  const token = (await clientFor(t, alice!)("GET", "/sync?timeout=0")).body.next_batch as string;
  await t.restart();
  const after = await send("after restart");
  expect(await orderingOf(after)).toBeGreaterThan(await orderingOf(before));
  expect((await bodiesSince(token)).bodies).toEqual(["after restart"]);
});

test("the newest events purged and the server restarted, positions are not given out again", async () => {
  const other = await createRoomAs(clientFor(t, alice!));
  const gone = await send("to be purged", other);
  const goneAt = await orderingOf(gone);
  const token = (await clientFor(t, alice!)("GET", "/sync?timeout=0")).body.next_batch as string;
  // As purging that room would leave the events table.
  await t.hs.services.database.queryRaw("DELETE FROM events WHERE room_id = ?", [other]);
  await t.restart();
  const next = await send("after the purge");
  expect(await orderingOf(next)).toBeGreaterThan(goneAt);
  expect((await bodiesSince(token)).bodies).toEqual(["after the purge"]);
});

test("a refused write gives no position twice, also after a restart: the events after it all arrive", async () => {
  // A fresh start, so the refused write is the first to take positions.
  await t.restart();
  const token = (await clientFor(t, alice!)("GET", "/sync?timeout=0")).body.next_batch as string;
  const store = t.hs.services.rooms.stores.persist;
  const original = store.persist.bind(store);
  // The writer retries a failed write once without its commit hooks: refuse both.
  let refusals = 2;
  store.persist = (batches, alsoWrite) =>
    original(batches, async (orderings) => {
      await alsoWrite?.(orderings);
      if (refusals > 0) {
        refusals--;
        throw new Error("refused for the test");
      }
    });
  let ids: string[];
  try {
    const refused = await clientFor(t, alice!)("PUT", `${roomPath(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: "refused" });
    expect(refused.status).toBe(500);
    ids = [await send("one"), await send("two")];
  } finally {
    store.persist = original;
  }
  await t.restart();
  ids.push(await send("three"));
  const orderings = await Promise.all(ids.map(orderingOf));
  expect(orderings).toEqual([...orderings].sort((a, b) => a - b));
  expect(new Set(orderings).size).toBe(3);
  expect((await bodiesSince(token)).bodies).toEqual(["one", "two", "three"]);
});
