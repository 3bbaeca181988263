import { describe, expect, test } from "bun:test";
import { Notifier } from "../../src/notifier/notifier.ts";
import { FakeClock } from "../../src/observability/clock.ts";

const message = { type: "m.room.message", sender: "@a:x" };

describe("Notifier", () => {
  test("wakes a waiter for an event in one of its rooms, not for other rooms", async () => {
    const clock = new FakeClock();
    const n = new Notifier(clock);
    let woken: unknown;
    const wait = n.waitForEvents({ userId: "@u:x", roomIds: ["!a:x"], since: 0, timeoutMs: 30_000 }).then((r) => (woken = r));
    n.onNewEvent("!b:x", 1, message);
    await clock.advance(0);
    expect(woken).toBeUndefined();
    expect(n.waiting).toBe(1);
    n.onNewEvent("!a:x", 2, message);
    await n.flush();
    await wait;
    expect(woken).toEqual({ reason: "event", position: 2 });
    expect(n.waiting).toBe(0);
  });

  test("a commit's events reach the processors one at a time in stream order, each published once processed", async () => {
    const n = new Notifier(new FakeClock());
    const seen: string[] = [];
    n.addEventProcessor(async (roomId, pos) => {
      seen.push(`start ${pos}`);
      await Promise.resolve();
      // Not published before its processing ends: a woken /sync would miss its outcome.
      seen.push(`end ${pos} (published ${n.position})`);
    });
    n.onNewEvents([
      { roomId: "!a:x", streamOrdering: 1, event: message },
      { roomId: "!b:x", streamOrdering: 2, event: message },
      { roomId: "!a:x", streamOrdering: 3, event: message },
    ]);
    n.onNewEvent("!a:x", 4, message);
    n.onNewEvents([]);
    await n.flush();
    expect(seen).toEqual([
      "start 1",
      "end 1 (published 0)",
      "start 2",
      "end 2 (published 1)",
      "start 3",
      "end 3 (published 2)",
      "start 4",
      "end 4 (published 3)",
    ]);
    expect(n.position).toBe(4);
  });

  test("wakes the target of a member event even outside its rooms (an invite)", async () => {
    const n = new Notifier(new FakeClock());
    const wait = n.waitForEvents({ userId: "@u:x", roomIds: [], since: 0, timeoutMs: 30_000 });
    n.onNewEvent("!new:x", 5, { type: "m.room.member", stateKey: "@u:x", sender: "@a:x", membership: "invite" });
    expect((await wait).reason).toBe("event");
  });

  test("returns at once when an event newer than `since` already happened", async () => {
    const n = new Notifier(new FakeClock());
    n.onNewEvent("!a:x", 7, message);
    await n.flush();
    expect((await n.waitForEvents({ userId: "@u:x", roomIds: ["!a:x"], since: 6, timeoutMs: 30_000 })).reason).toBe("event");
  });

  test("times out on the clock, and an abort ends the wait", async () => {
    const clock = new FakeClock();
    const n = new Notifier(clock);
    const wait = n.waitForEvents({ userId: "@u:x", roomIds: ["!a:x"], since: 0, timeoutMs: 1000 });
    await clock.advance(999);
    expect(n.waiting).toBe(1);
    await clock.advance(1);
    expect((await wait).reason).toBe("timeout");
    const ctrl = new AbortController();
    const aborted = n.waitForEvents({ userId: "@u:x", roomIds: ["!a:x"], since: 0, timeoutMs: 1000, signal: ctrl.signal });
    ctrl.abort();
    expect((await aborted).reason).toBe("aborted");
    expect(n.waiting).toBe(0);
  });

  test("wakeUsers and wakeRoom wake for other streams", async () => {
    const n = new Notifier(new FakeClock());
    const a = n.waitForEvents({ userId: "@u:x", roomIds: ["!a:x"], since: 0, timeoutMs: 30_000 });
    n.wakeUsers(["@u:x"]);
    expect((await a).reason).toBe("woken");
    const b = n.waitForEvents({ userId: "@v:x", roomIds: ["!a:x"], since: 0, timeoutMs: 30_000 });
    n.wakeRoom("!a:x");
    expect((await b).reason).toBe("woken");
  });
});
