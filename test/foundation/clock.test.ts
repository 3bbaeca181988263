import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import { currentLogContext, runInLogContext } from "../../src/observability/log-context.ts";
import { BackgroundProcesses } from "../../src/observability/background.ts";
import { profilingLine, startDbProfiling } from "../../src/observability/db-profiling.ts";
import { TransactionStats } from "../../src/storage/transaction-stats.ts";
import { capturedLogs } from "../support/logs.ts";

describe("Clock", () => {
  test("looping calls run after one interval, on a fixed grid, in a looping_call context", async () => {
    const clock = new FakeClock("clock.test");
    clock.start();
    const runs: Array<{ at: number; ctx: string | undefined; server: string | undefined }> = [];
    runInLogContext({ server_name: "clock.test", request: "GET-1" }, () => {
      clock.loopingCall(1000, () => {
        runs.push({ at: clock.now(), ctx: currentLogContext()?.request, server: currentLogContext()?.server_name });
      });
    });
    const start = clock.now();
    await clock.advance(999);
    expect(runs).toHaveLength(0);
    await clock.advance(1);
    await clock.advance(2000);
    expect(runs.map((r) => r.at - start)).toEqual([1000, 2000, 3000]);
    expect(runs.every((r) => r.ctx === "looping_call" && r.server === "clock.test")).toBe(true);
  });

  test("a slow looping call skips missed grid points and never overlaps", async () => {
    const clock = new FakeClock();
    clock.start();
    const starts: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const t0 = clock.now();
    clock.loopingCall(100, async () => {
      starts.push(clock.now() - t0);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await clock.sleep(250);
      running--;
    });
    await clock.advance(1000);
    expect(maxRunning).toBe(1);
    expect(starts).toEqual([100, 400, 700, 1000]);
  });

  test("a throwing looping call dies and is logged", async () => {
    const clock = new FakeClock("clock.test");
    let n = 0;
    capturedLogs.length = 0;
    clock.loopingCall(10, () => {
      n++;
      throw new Error("boom");
    });
    await clock.advance(100);
    expect(n).toBe(1);
    expect(capturedLogs.some((r) => String(r.message.join("")).includes("Looping call died"))).toBe(true);
  });

  test("callLater runs once in a call_later context; cancel prevents it", async () => {
    const clock = new FakeClock("clock.test");
    const seen: string[] = [];
    clock.callLater(50, () => seen.push(currentLogContext()!.request));
    const h = clock.callLater(60, () => seen.push("cancelled"));
    h.cancel();
    expect(h.active()).toBe(false);
    await clock.advance(100);
    expect(seen).toEqual(["call_later"]);
  });

  test("sleep keeps the caller's context", async () => {
    const clock = new FakeClock();
    let after: string | undefined;
    const p = runInLogContext({ server_name: "s", request: "PUT-5" }, async () => {
      await clock.sleep(10);
      after = currentLogContext()?.request;
    });
    await clock.advance(10);
    await p;
    expect(after).toBe("PUT-5");
  });

  test("callWhenRunning waits for start", async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    clock.callWhenRunning(() => seen.push(currentLogContext()!.request));
    await clock.advance(10);
    expect(seen).toEqual([]);
    clock.start();
    await clock.advance(0);
    expect(seen).toEqual(["call_when_running"]);
  });

  test("after shutdown nothing runs and scheduling throws", async () => {
    const clock = new FakeClock();
    let n = 0;
    clock.loopingCall(10, () => n++);
    clock.callLater(10, () => n++);
    clock.shutdown();
    await clock.advance(100);
    expect(n).toBe(0);
    expect(() => clock.loopingCall(10, () => {})).toThrow("Clock has been shutdown");
    expect(() => clock.callLater(10, () => {})).toThrow("Clock has been shutdown");
    expect(clock.timers.pending).toBe(0);
  });
});

describe("background processes", () => {
  test("named contexts <desc>-<n>, errors become null, nothing starts before start()", async () => {
    const bg = new BackgroundProcesses("bg.test");
    const names: string[] = [];
    const first = bg.run("prune", async () => {
      names.push(currentLogContext()!.request);
      return 1;
    });
    await Promise.resolve();
    expect(names).toEqual([]);
    bg.start();
    expect(await first).toBe(1);
    const second = await bg.run("prune", async () => {
      names.push(currentLogContext()!.request);
      throw new Error("task failed");
    });
    expect(second).toBeNull();
    expect(names).toEqual(["prune-0", "prune-1"]);
    await bg.shutdown();
    expect(() => bg.run("late", async () => 1)).toThrow("has been shutdown");
  });

  test("background work does not inherit the request context", async () => {
    const bg = new BackgroundProcesses("bg.test");
    bg.start();
    let ctx: string | undefined;
    await runInLogContext({ server_name: "bg.test", request: "GET-9" }, () =>
      bg.run("job", async () => {
        ctx = currentLogContext()!.request;
      }),
    );
    expect(ctx).toBe("job-0");
  });
});

describe("database profiling", () => {
  test("the line has the total share and the top three names", () => {
    const stats = new TransactionStats();
    for (let i = 0; i < 31; i++) stats.record("persist_events", 26.13, true);
    for (let i = 0; i < 420; i++) stats.record("get_users_in_room", 0.69, true);
    stats.record("small", 0.1, true);
    stats.record("idle", 0, true);
    const line = profilingLine(stats, new Map([["idle", { count: 1, totalMs: 0 }]]), stats.totalMs, 10_000);
    expect(line).toBe("Total database time: 10.999% {persist_events(31): 8.100%, get_users_in_room(420): 2.898%, small(1): 0.001%}");
  });

  test("every 10 s at DEBUG in the looping_call context", async () => {
    const clock = new FakeClock("prof.test");
    const stats = new TransactionStats();
    capturedLogs.length = 0;
    const loop = startDbProfiling(clock, stats);
    stats.record("persist_event", 500, true);
    await clock.advance(10_000);
    loop.stop();
    const rec = capturedLogs.find((r) => r.category.join(".") === "hearth.storage.TIME");
    expect(rec?.level).toBe("debug");
    expect(rec?.properties.request).toBe("looping_call");
    expect(rec?.properties.line).toBe("Total database time: 5.000% {persist_event(1): 5.000%}");
  });
});
