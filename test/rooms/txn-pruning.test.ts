// Transaction ids are forgotten after 24 hours by a looping call (prune_event_txn_ids):
// a retry within the day returns the first event, a reuse after the prune sends anew.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { count } from "drizzle-orm";
import { FakeClock } from "../../src/observability/clock.ts";
import { DEFAULT_TXN_ID_RETENTION, TxnIdPruner } from "../../src/rooms/txn-pruning.ts";
import { EventTxnIdsStore } from "../../src/storage/stores/event-txn-ids.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver, type Account } from "./helpers.ts";

const HOUR = 60 * 60_000;
const INTERVAL = DEFAULT_TXN_ID_RETENTION.intervalMs;

let t: TestHomeserver;
let clock: FakeClock;
let alice: Account;
let roomId: string;

beforeAll(async () => {
  clock = new FakeClock("test.local", Date.now());
  t = await startRoomsHomeserver({ clock });
  [alice] = await registerUsers(t, "alice");
  roomId = (await clientFor(t, alice!)("POST", "/createRoom", {})).body.room_id;
});
afterAll(() => t.stop());

/** Moves time on one prune interval at a time, letting each run of the looping call finish. */
async function passTime(ms: number): Promise<void> {
  const { background } = t.hs.services;
  for (let done = 0; done < ms; done += INTERVAL) {
    await clock.advance(Math.min(INTERVAL, ms - done));
    while (background.inFlightCount > 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

async function sendWithTxn(txnId: string): Promise<string> {
  const res = await clientFor(t, alice!)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txnId}`, { msgtype: "m.text", body: "hi" });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.event_id;
}

async function txnIdRows(): Promise<number> {
  const { db, tables } = t.hs.services.database;
  const [row] = await db.select({ n: count() }).from(tables.eventTxnIds);
  return Number(row!.n);
}

test("a retry within 24 hours returns the first event; after the prune the id sends a new one", async () => {
  const first = await sendWithTxn("reused");
  await passTime(23 * HOUR);
  expect(await sendWithTxn("reused")).toBe(first);
  const rowsBefore = await txnIdRows();
  expect(rowsBefore).toBeGreaterThan(0);

  await passTime(HOUR + 2 * INTERVAL);
  expect(await txnIdRows()).toBe(rowsBefore - 1);
  const second = await sendWithTxn("reused");
  expect(second).not.toBe(first);
  // The new event is remembered in its turn.
  expect(await sendWithTxn("reused")).toBe(second);
});

test("the prune deletes in bounded batches, oldest first, and leaves recent ids", async () => {
  const { database } = t.hs.services;
  const now = clock.now();
  const old = Array.from({ length: 2500 }, (_, i) => ({ scope: "t:bulk", roomId, txnId: `old${i}`, eventId: `$old${i}`, createdTs: now - 48 * HOUR + i }));
  const recent = { scope: "t:bulk", roomId, txnId: "recent", eventId: "$recent", createdTs: now - HOUR };
  for (let i = 0; i < old.length; i += 500) await database.db.insert(database.tables.eventTxnIds).values(old.slice(i, i + 500));
  await database.db.insert(database.tables.eventTxnIds).values(recent);
  const before = await txnIdRows();

  const transactions: string[] = [];
  const stop = database.stats.addListener((name) => transactions.push(name));
  const pruner = new TxnIdPruner(clock, new EventTxnIdsStore(database), { ...DEFAULT_TXN_ID_RETENTION, batchSize: 1000, maxBatches: 2 });
  expect(await pruner.prune()).toBe(2000);
  stop();
  expect(transactions.filter((n) => n === "prune_event_txn_ids")).toHaveLength(2);
  expect(await txnIdRows()).toBe(before - 2000);
  // The next run takes the rest, oldest first, and keeps the recent one.
  expect(await pruner.prune()).toBe(500);
  expect(await new EventTxnIdsStore(database).deleteOldest(now - 24 * HOUR, 1000)).toBe(0);
  expect(await t.hs.services.rooms.stores.events.eventForTxn("t:bulk", roomId, "recent")).toBe("$recent");
});
