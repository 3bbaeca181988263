import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { migrateDatabase } from "../../src/storage/migrate.ts";
import { PresenceStore } from "../../src/storage/stores/presence.ts";
import { StreamPositionsStore } from "../../src/storage/stores/stream-positions.ts";
import { DEFAULT_PRESENCE_TIMINGS, PresenceService } from "../../src/ephemeral/presence.ts";

let database: Database;
let clock: FakeClock;
let store: PresenceStore;
let changes: Array<[string, number]>;
let presence: PresenceService;

beforeEach(async () => {
  database = await openDatabase({ kind: "sqlite", path: ":memory:" });
  await migrateDatabase(database, 0);
  clock = new FakeClock();
  store = new PresenceStore(database, new StreamPositionsStore(database));
  changes = [];
  presence = new PresenceService(clock, store, (u, p) => changes.push([u, p]));
  await presence.start();
});
afterEach(async () => {
  presence.stop();
  clock.shutdown();
  await database.close();
});

describe("PresenceService", () => {
  test("a syncing user comes online, goes unavailable when idle and offline when no sync is open", async () => {
    const done = await presence.userSyncing("@a:x", "online");
    expect((await presence.get("@a:x"))!.state).toBe("online");
    expect(presence.format((await presence.get("@a:x"))!)).toEqual({ presence: "online", last_active_ago: 0, currently_active: true });
    await clock.advance(DEFAULT_PRESENCE_TIMINGS.idleMs + DEFAULT_PRESENCE_TIMINGS.sweepMs);
    expect((await presence.get("@a:x"))!.state).toBe("unavailable");
    // Still syncing: not offline, however long.
    await clock.advance(10 * DEFAULT_PRESENCE_TIMINGS.syncTimeoutMs);
    expect((await presence.get("@a:x"))!.state).toBe("unavailable");
    done();
    await clock.advance(DEFAULT_PRESENCE_TIMINGS.syncTimeoutMs + DEFAULT_PRESENCE_TIMINGS.sweepMs);
    const row = (await store.getMany(["@a:x"]))[0]!;
    expect(row.state).toBe("offline");
    // Each persisted change took a new stream position and was announced.
    expect(changes.map(([u]) => u)).toEqual(["@a:x", "@a:x", "@a:x"]);
    expect(changes.map(([, p]) => p)).toEqual([1, 2, 3]);
  });

  test("activity brings an idle user back online; set_presence=offline changes nothing", async () => {
    const done = await presence.userSyncing("@b:x", "offline");
    expect(await presence.get("@b:x")).toBeUndefined();
    await presence.setState("@b:x", "online", "working");
    await clock.advance(DEFAULT_PRESENCE_TIMINGS.idleMs + DEFAULT_PRESENCE_TIMINGS.sweepMs);
    expect((await presence.get("@b:x"))!.state).toBe("unavailable");
    await presence.bumpActive("@b:x");
    const row = (await presence.get("@b:x"))!;
    expect(row.state).toBe("online");
    expect(row.statusMsg).toBe("working");
    done();
  });

  test("an explicit unavailable is not overridden by syncing", async () => {
    await presence.setState("@c:x", "unavailable", null);
    const done = await presence.userSyncing("@c:x", "online");
    expect((await presence.get("@c:x"))!.state).toBe("unavailable");
    done();
  });

  test("users left online by a previous run time out unless they reconnect", async () => {
    await presence.setState("@d:x", "online", null);
    presence.stop();
    const again = new PresenceService(clock, store);
    await again.start();
    await clock.advance(DEFAULT_PRESENCE_TIMINGS.syncTimeoutMs + DEFAULT_PRESENCE_TIMINGS.sweepMs);
    expect((await store.getMany(["@d:x"]))[0]!.state).toBe("offline");
    again.stop();
  });

  test("activity of an offline user moves last_active but not the state", async () => {
    await presence.bumpActive("@never:x");
    expect(await presence.get("@never:x")).toBeUndefined();
    await presence.setState("@e:x", "offline", null);
    await clock.advance(120_000);
    await presence.bumpActive("@e:x");
    const row = (await presence.get("@e:x"))!;
    expect(row.state).toBe("offline");
    expect(row.lastActiveTs).toBe(clock.now());
  });
});
