import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import { purgeServerSeries } from "../../src/observability/metrics/registry.ts";
import {
  presenceBumpActiveTime,
  presenceNotifyReason,
  presenceStateTransitions,
  presenceUpdates,
} from "../../src/observability/metrics/index.ts";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { migrateDatabase } from "../../src/storage/migrate.ts";
import { PresenceStore, type PresenceRow } from "../../src/storage/stores/presence.ts";
import { StreamPositionsStore } from "../../src/storage/stores/stream-positions.ts";
import { DEFAULT_PRESENCE_TIMINGS, PresenceService } from "../../src/ephemeral/presence.ts";
import { presenceMetricsObserver, presenceNotifyReasonOf } from "../../src/ephemeral/presence-metrics.ts";

const SERVER = "presence.metrics.test";
const ALICE = `@alice:${SERVER}`;

/** The value of one labelled series of a counter (0 when absent). */
async function value(metric: { get(): Promise<{ values: Array<{ labels: Record<string, string | number>; value: number }> }> }, labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return hit?.value ?? 0;
}

describe("presenceNotifyReasonOf (Synapse's should_notify)", () => {
  const row = (extra: Partial<PresenceRow>): PresenceRow => ({
    userId: ALICE,
    state: "online",
    statusMsg: null,
    lastActiveTs: 1000,
    lastSyncTs: 0,
    currentlyActive: true,
    streamId: 1,
    ...extra,
  });
  const g = 60_000;

  test("status message first, then state, then activity", () => {
    expect(presenceNotifyReasonOf(row({}), row({ statusMsg: "busy", state: "unavailable" }), g)).toBe("status_msg_change");
    expect(presenceNotifyReasonOf(row({}), row({ state: "unavailable" }), g)).toBe("state_change");
    expect(presenceNotifyReasonOf(undefined, row({}), g)).toBe("state_change");
    expect(presenceNotifyReasonOf(row({}), row({ currentlyActive: false }), g)).toBe("current_active_change");
  });

  test("last_active moves count past the granularity: online only when not currently active", () => {
    expect(presenceNotifyReasonOf(row({ currentlyActive: false }), row({ currentlyActive: false, lastActiveTs: 1000 + g + 1 }), g)).toBe(
      "last_active_change_online",
    );
    expect(presenceNotifyReasonOf(row({}), row({ lastActiveTs: 1000 + g + 1 }), g)).toBeUndefined();
    const off = { state: "offline" as const, currentlyActive: false };
    expect(presenceNotifyReasonOf(row(off), row({ ...off, lastActiveTs: 1000 + g + 1 }), g)).toBe("last_active_change_not_online");
    expect(presenceNotifyReasonOf(row(off), row({ ...off, lastActiveTs: 1000 + g }), g)).toBeUndefined();
    expect(presenceNotifyReasonOf(row({}), row({}), g)).toBeUndefined();
  });
});

describe("synapse_handler_presence_* counters", () => {
  let database: Database;
  let clock: FakeClock;
  let presence: PresenceService;

  beforeEach(async () => {
    purgeServerSeries(SERVER);
    database = await openDatabase({ kind: "sqlite", path: ":memory:" });
    await migrateDatabase(database, 0);
    clock = new FakeClock(SERVER);
    const store = new PresenceStore(database, new StreamPositionsStore(database));
    const observer = presenceMetricsObserver(SERVER, DEFAULT_PRESENCE_TIMINGS.activeGranularityMs);
    presence = new PresenceService(clock, store, () => {}, DEFAULT_PRESENCE_TIMINGS, observer);
    await presence.start();
  });
  afterEach(async () => {
    presence.stop();
    clock.shutdown();
    await database.close();
    purgeServerSeries(SERVER);
  });

  test("count updates, notify reasons, state transitions and activity, labelled with the server", async () => {
    const local = { locality: "local", server_name: SERVER };
    const done = await presence.userSyncing(ALICE, "online");
    expect(await value(presenceUpdates, { server_name: SERVER })).toBe(1);
    expect(await value(presenceStateTransitions, { ...local, from: "offline", to: "online" })).toBe(1);
    expect(await value(presenceNotifyReason, { ...local, reason: "state_change" })).toBe(1);

    await presence.setState(ALICE, "online", "lunch");
    expect(await value(presenceNotifyReason, { ...local, reason: "status_msg_change" })).toBe(1);

    // Idle: online → unavailable through the sweep; activity brings the user back.
    await clock.advance(DEFAULT_PRESENCE_TIMINGS.idleMs + DEFAULT_PRESENCE_TIMINGS.sweepMs);
    expect(await value(presenceStateTransitions, { ...local, from: "online", to: "unavailable" })).toBe(1);
    await presence.bumpActive(ALICE);
    expect(await value(presenceBumpActiveTime, { server_name: SERVER })).toBe(1);
    expect(await value(presenceStateTransitions, { ...local, from: "unavailable", to: "online" })).toBe(1);

    // The last /sync ends: offline after the sync timeout.
    done();
    await clock.advance(DEFAULT_PRESENCE_TIMINGS.syncTimeoutMs + DEFAULT_PRESENCE_TIMINGS.sweepMs);
    expect(await value(presenceStateTransitions, { ...local, from: "online", to: "offline" })).toBe(1);
    expect(await value(presenceNotifyReason, { ...local, reason: "state_change" })).toBe(4);
    expect(await value(presenceUpdates, { server_name: SERVER })).toBe(5);
  });
});
