import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { FakeClock } from "../../src/observability/clock.ts";
import type { BackgroundProcesses } from "../../src/observability/background.ts";
import { DEFAULT_PUSH_RETENTION, PushActionsPruner, readByEveryone, type PruneResult } from "../../src/push/retention.ts";
import { PushActionsStore, type PushActionRow, type PushDefaultRow } from "../../src/storage/stores/push-actions.ts";
import { PushRetentionStore } from "../../src/storage/stores/push-retention.ts";
import { ReceiptsStore } from "../../src/storage/stores/receipts.ts";
import { StreamPositionsStore } from "../../src/storage/stores/stream-positions.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, createRoom, enc, join, registerUsers, send, startSyncHomeserver, sync } from "./helpers.ts";

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

let t: TestHomeserver;
beforeAll(async () => {
  t = await startSyncHomeserver();
});
afterAll(() => t.stop());

function pruner(clock: FakeClock): PushActionsPruner {
  const { database, rooms } = t.hs.services;
  const positions = new StreamPositionsStore(database);
  return new PushActionsPruner("test.local", clock, new PushRetentionStore(database), {
    actions: new PushActionsStore(database),
    receipts: new ReceiptsStore(database, positions),
    rooms: rooms.stores.rooms,
  });
}

/** Resolves with the result of the next `prune_push_actions` background run. */
function nextPrune(background: BackgroundProcesses): Promise<void> {
  return new Promise((resolve) => {
    const stop = background.observe({
      started: () => {},
      finished: (desc) => {
        if (desc !== "prune_push_actions") return;
        stop();
        resolve();
      },
    });
  });
}

describe("readByEveryone", () => {
  const row = (eventId: string, streamOrdering: number, extra: Partial<{ threadId: string; sender: string }> = {}) => ({
    eventId,
    streamOrdering,
    threadId: extra.threadId ?? "main",
    sender: extra.sender ?? "@alice:x",
    highlight: false,
    ts: 0,
  });

  test("a row goes once every reader but its sender has read past it or joined after it", () => {
    const readers = [
      { userId: "@bob:x", since: 0 },
      { userId: "@carol:x", since: 0 },
      { userId: "@dave:x", since: 100 },
    ];
    const receipts = [
      { userId: "@bob:x", threadId: "", eventStreamOrdering: 50 },
      { userId: "@carol:x", threadId: "", eventStreamOrdering: 18 },
      { userId: "@carol:x", threadId: "$root", eventStreamOrdering: 22 },
    ];
    const rows = [
      row("$a", 15),
      row("$b", 20, { threadId: "$root" }),
      row("$c", 20),
      row("$d", 40, { sender: "@carol:x" }),
      row("$e", 40, { sender: "@bob:x" }),
    ];
    expect(readByEveryone(rows, readers, receipts)).toEqual(["$a", "$b", "$d"]);
  });

  test("no readers: nothing counts the rows", () => {
    expect(readByEveryone([row("$a", 1)], [], [])).toEqual(["$a"]);
  });
});

describe("pruning push outcomes", () => {
  test("old, read and superseded rows go on the hourly run; unread recent rows, unread highlights and exceptions stay", async () => {
    const { database, background } = t.hs.services;
    const actions = new PushActionsStore(database);
    const receipts = new ReceiptsStore(database, new StreamPositionsStore(database));
    const clock = new FakeClock("test.local", Date.now());
    const now = clock.now();
    const roomId = "!retention:test.local";
    const [bob, carol, dave, alice] = ["@bob:test.local", "@carol:test.local", "@dave:test.local", "@alice:test.local"];
    const base = { roomId, notif: true, actions: ["notify" as const] };
    const def = (eventId: string, streamOrdering: number, age: number, extra: Partial<PushDefaultRow> = {}): PushDefaultRow => ({
      ...base,
      eventId,
      streamOrdering,
      threadId: "main",
      sender: alice,
      highlight: false,
      ts: now - age,
      ...extra,
    });
    const own = (userId: string, eventId: string, streamOrdering: number, age: number, extra: Partial<PushActionRow> = {}): PushActionRow => ({
      ...base,
      userId,
      eventId,
      streamOrdering,
      threadId: "main",
      highlight: false,
      ts: now - age,
      ...extra,
    });
    await actions.write({
      explicit: [],
      joined: [
        { roomId, userId: bob, since: 0 },
        { roomId, userId: carol, since: 0 },
        { roomId, userId: dave, since: 100 },
      ],
    });
    const defaults = [
      def("$d1", 10, 31 * DAY), // too old
      def("$d4", 15, 31 * DAY, { highlight: true }), // a highlight read by all, over 30 days old
      def("$d8", 19, 31 * DAY, { highlight: true }), // a highlight carol has not read
      def("$d2", 20, 2 * DAY, { threadId: "$root" }), // read by all (carol in the thread)
      def("$d3", 30, 2 * DAY), // carol has not read it
      def("$d9", 40, 2 * DAY, { sender: carol }), // read by all but its sender
      def("$d5", 45, 2 * HOUR), // recent
    ];
    // The room's default rows are found through its events: each needs its event row.
    await database.db.insert(database.tables.events).values(
      defaults.map((d) => ({
        streamOrdering: d.streamOrdering,
        eventId: d.eventId,
        roomId,
        depth: d.streamOrdering,
        type: "m.room.message",
        sender: d.sender,
        originServerTs: d.ts,
        pdu: "{}",
        stateGroup: 0,
      })),
    );
    for (const d of defaults) await actions.write({ defaults: d, explicit: [] });
    await actions.write({
      explicit: [
        own(bob, "$e1", 21, 2 * DAY), // read
        own(bob, "$e2", 47, 2 * HOUR), // read, but recent
        own(carol, "$e3", 23, 31 * DAY), // unread, too old
        own(carol, "$e4", 24, 31 * DAY, { highlight: true }), // an unread highlight
        own(bob, "$d3", 30, 2 * DAY, { notif: false, actions: [] }), // an exception to a default that stays
        own(bob, "$d1", 10, 31 * DAY, { notif: false, actions: [] }), // an exception to a default that goes
      ],
    });
    const receipt = (userId: string, threadId: string, streamOrdering: number) =>
      receipts.upsert({ roomId, receiptType: "m.read", userId, threadId, eventId: `$r${streamOrdering}`, eventStreamOrdering: streamOrdering, data: {} });
    await receipt(bob, "", 50);
    await receipt(carol, "", 18);
    await receipt(carol, "$root", 22);

    const p = pruner(clock);
    const runs: PruneResult[] = [];
    const original = p.prune.bind(p);
    p.prune = async () => {
      const r = await original();
      runs.push(r);
      return r;
    };
    const stop = p.start(background);
    try {
      await clock.advance(HOUR - 1);
      expect(runs).toEqual([]);
      const done = nextPrune(background);
      await clock.advance(1);
      await done;
      expect(runs).toEqual([{ defaults: 4, explicit: 3 }]);
    } finally {
      stop();
    }

    const left = await database.db.select().from(database.tables.eventPushDefaults);
    expect(left.filter((r) => r.roomId === roomId).map((r) => r.eventId).sort()).toEqual(["$d3", "$d5", "$d8"]);
    const leftOwn = await database.db.select().from(database.tables.eventPushActions);
    expect(leftOwn.filter((r) => r.roomId === roomId).map((r) => `${r.userId.slice(1, 4)}${r.eventId}`).sort()).toEqual([
      "bob$d3",
      "bob$e2",
      "car$e4",
    ]);
    // Nothing more to do: a second run deletes nothing.
    expect(await pruner(clock).prune()).toEqual({ defaults: 0, explicit: 0 });
    // The made-up rows hold positions the server hands out later (PostgreSQL counts from 1).
    const { events, eventPushDefaults, eventPushActions } = database.tables;
    await database.db.delete(eventPushActions).where(eq(eventPushActions.roomId, roomId));
    await database.db.delete(eventPushDefaults).where(eq(eventPushDefaults.roomId, roomId));
    await database.db.delete(events).where(eq(events.roomId, roomId));
  });

  test("a backlog is deleted in batches until none is left", async () => {
    const { database } = t.hs.services;
    const actions = new PushActionsStore(database);
    const clock = new FakeClock("test.local", Date.now());
    const roomId = "!backlog:test.local";
    // Old outcomes lie below every newer one (positions grow with time): below the other tests' rows.
    for (let i = 0; i < 7; i++) {
      const row = {
        eventId: `$old${i}`,
        roomId,
        streamOrdering: -1000 + i,
        threadId: "main",
        sender: "@a:test.local",
        notif: true,
        highlight: false,
        actions: [],
        ts: clock.now() - 40 * DAY,
      };
      // Two users' exceptions share each stream position, as a batch boundary may cut through them.
      await actions.write({ defaults: row, explicit: [{ ...row, userId: "@b:test.local" }, { ...row, userId: "@c:test.local" }] });
    }
    const deps = { actions, receipts: new ReceiptsStore(database, new StreamPositionsStore(database)), rooms: t.hs.services.rooms.stores.rooms };
    const small = new PushActionsPruner("test.local", clock, new PushRetentionStore(database), deps, { ...DEFAULT_PUSH_RETENTION, batchSize: 2 });
    expect(await small.prune()).toEqual({ defaults: 7, explicit: 14 });
    const left = await database.db.select().from(database.tables.eventPushDefaults);
    expect(left.filter((r) => r.roomId === roomId)).toEqual([]);
  });

  test("unread counts and GET /notifications keep recent notifications; read ones go after a day, read mentions after 30", async () => {
    const [alice, bob] = (await registerUsers(t, "ret_alice", "ret_bob")).map((a) => ({ userId: a.userId, c: clientFor(t, a) }));
    const roomId = await createRoom(alice!.c, { preset: "private_chat", invite: [bob!.userId] });
    await join(bob!.c, roomId);
    await send(alice!.c, roomId, "one");
    await send(alice!.c, roomId, "two");
    const mention = await send(alice!.c, roomId, `hey ${bob!.userId}`, { "m.mentions": { user_ids: [bob!.userId] } });
    const ids = async (query = "") => (await bob!.c("GET", `/notifications${query}`)).body.notifications.map((n: any) => n.event.event_id);
    const counts = async () => (await sync(bob!.c)).rooms.join[roomId].unread_notifications;
    const before = await ids();
    // The three messages and bob's invite (which does not count: he was not in the room yet).
    expect(before.length).toBe(4);
    expect(await counts()).toEqual({ notification_count: 3, highlight_count: 1 });

    const at = (offset: number) => pruner(new FakeClock("test.local", Date.now() + offset)).prune();
    // Unread: two days on, everything is still there.
    await at(2 * DAY);
    expect(await ids()).toEqual(before);
    expect(await counts()).toEqual({ notification_count: 3, highlight_count: 1 });

    expect((await bob!.c("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(mention)}`, {})).status).toBe(200);
    // Read just now: GET /notifications still lists them all, as read.
    await at(0);
    const listed = (await bob!.c("GET", "/notifications")).body.notifications;
    expect(listed.map((n: any) => n.event.event_id)).toEqual(before);
    expect(listed.every((n: any) => n.read === true)).toBe(true);
    // A day on, the read plain ones go; the mention stays, for 30 days.
    await at(2 * DAY);
    expect(await ids()).toEqual([mention]);
    expect(await ids("?only=highlight")).toEqual([mention]);
    expect(await counts()).toEqual({ notification_count: 0, highlight_count: 0 });
    await at(31 * DAY);
    expect(await ids()).toEqual([]);
  });
});
