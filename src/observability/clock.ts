import { getLogger } from "@logtape/logtape";
import { runInLogContext, runInSentinel } from "./log-context.ts";

export interface DelayedCall {
  cancel(): void;
  active(): boolean;
}

export interface LoopingCall {
  stop(): void;
}

/** How a homeserver learns the time and schedules work. Logic never calls Date.now or setTimeout. */
export interface Clock {
  readonly serverName: string;
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Runs `fn` once after `ms`, in a fresh `call_later` log context. */
  callLater(ms: number, fn: () => unknown, opts?: { cancelOnShutdown?: boolean }): DelayedCall;
  /**
   * Runs `fn` every `ms` on a fixed grid, first after one interval (or at once with `now`),
   * never overlapping, in a fresh `looping_call` context. A throw ends the loop.
   */
  loopingCall(ms: number, fn: () => unknown, opts?: { now?: boolean; name?: string }): LoopingCall;
  /** Runs `fn` once the clock has been started (at once if it already has). */
  callWhenRunning(fn: () => unknown): void;
  /** Marks the clock running and flushes `callWhenRunning` callbacks. */
  start(): void;
  /** Stops every looping call and cancels tracked delayed calls; later scheduling throws. */
  shutdown(): void;
  readonly isShutdown: boolean;
}

/** The scheduling primitives a Clock builds on; the fake clock swaps these. */
export interface TimerBackend {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realBackend: TimerBackend = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Timers must not keep a stopping process alive; stop() cancels them anyway.
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class BaseClock implements Clock {
  #running = false;
  #shutdown = false;
  #pendingRunning: Array<() => unknown> = [];
  #delayed = new Set<{ cancel(): void }>();
  #loops = new Set<{ stop(): void }>();
  #log = getLogger(["hearth", "clock"]);

  constructor(
    readonly serverName: string,
    protected readonly backend: TimerBackend,
  ) {}

  get isShutdown(): boolean {
    return this.#shutdown;
  }

  now(): number {
    return this.backend.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.backend.setTimeout(() => resolve(), Math.max(0, ms));
      const entry = { cancel: () => this.backend.clearTimeout(handle) };
      // Sleeps resolve on shutdown rather than hang forever.
      this.#delayed.add({ cancel: () => (entry.cancel(), resolve()) });
    });
  }

  callLater(ms: number, fn: () => unknown, opts: { cancelOnShutdown?: boolean } = {}): DelayedCall {
    if (this.#shutdown) throw new Error("Cannot start delayed call. Clock has been shutdown");
    let active = true;
    const track = opts.cancelOnShutdown !== false;
    const entry = {
      cancel: () => {
        if (!active) return;
        active = false;
        this.backend.clearTimeout(handle);
        this.#delayed.delete(entry);
      },
    };
    const handle = this.backend.setTimeout(() => {
      if (!active) return;
      active = false;
      this.#delayed.delete(entry);
      this.#runDetached("call_later", fn);
    }, Math.max(0, ms));
    if (track) this.#delayed.add(entry);
    return { cancel: entry.cancel, active: () => active };
  }

  loopingCall(ms: number, fn: () => unknown, opts: { now?: boolean; name?: string } = {}): LoopingCall {
    if (this.#shutdown) throw new Error("Cannot start looping call. Clock has been shutdown");
    let stopped = false;
    let handle: unknown;
    const start = this.backend.now();
    let tick = 0;
    const loop = {
      stop: () => {
        stopped = true;
        this.backend.clearTimeout(handle);
        this.#loops.delete(loop);
      },
    };
    const scheduleNext = () => {
      if (stopped) return;
      // Stay on the start + k*interval grid, skipping points a slow run missed.
      const now = this.backend.now();
      tick = Math.max(tick + 1, Math.floor((now - start) / ms) + 1);
      handle = this.backend.setTimeout(run, Math.max(0, start + tick * ms - now));
    };
    const run = () => {
      if (stopped) return;
      runInSentinel(() =>
        runInLogContext({ server_name: this.serverName, request: "looping_call" }, async () => {
          try {
            await fn();
            scheduleNext();
          } catch (err) {
            this.#log.error("Looping call died {name}: {error}", { name: opts.name ?? fn.name, error: err });
            loop.stop();
          }
        }),
      );
    };
    this.#loops.add(loop);
    if (opts.now) run();
    else handle = this.backend.setTimeout(run, ms);
    return { stop: loop.stop };
  }

  callWhenRunning(fn: () => unknown): void {
    if (this.#running) this.#runDetached("call_when_running", fn);
    else this.#pendingRunning.push(fn);
  }

  start(): void {
    this.#running = true;
    const pending = this.#pendingRunning.splice(0);
    for (const fn of pending) this.#runDetached("call_when_running", fn);
  }

  shutdown(): void {
    this.#shutdown = true;
    for (const loop of [...this.#loops]) loop.stop();
    for (const d of [...this.#delayed]) d.cancel();
    this.#delayed.clear();
    this.#pendingRunning = [];
  }

  #runDetached(name: string, fn: () => unknown): void {
    runInSentinel(() =>
      runInLogContext({ server_name: this.serverName, request: name }, async () => {
        try {
          await fn();
        } catch (err) {
          this.#log.error("Unhandled error in {name} callback: {error}", { name, error: err });
        }
      }),
    );
  }
}

export function createRealClock(serverName: string): Clock {
  return new BaseClock(serverName, realBackend);
}

/** A clock whose time moves only when a test advances it. */
export class FakeClock extends BaseClock {
  readonly timers: FakeTimers;
  constructor(serverName = "test", startMs = 1_700_000_000_000) {
    const timers = new FakeTimers(startMs);
    super(serverName, timers);
    this.timers = timers;
  }
  /** Moves time forward, firing due timers in order and letting their promises settle. */
  advance(ms: number): Promise<void> {
    return this.timers.advance(ms);
  }
}

export class FakeTimers implements TimerBackend {
  #now: number;
  #seq = 0;
  #queue: Array<{ at: number; seq: number; fn: () => void }> = [];
  constructor(startMs: number) {
    this.#now = startMs;
  }
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const entry = { at: this.#now + ms, seq: this.#seq++, fn };
    this.#queue.push(entry);
    return entry;
  }
  clearTimeout(handle: unknown): void {
    this.#queue = this.#queue.filter((e) => e !== handle);
  }
  get pending(): number {
    return this.#queue.length;
  }
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle();
      this.#queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#queue[0];
      if (!next || next.at > target) break;
      this.#queue.shift();
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = target;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
