/** CPU seconds attributed to one unit of work. */
export interface CpuTime {
  user: number;
  system: number;
}

/** Where a unit of work started on the shared CPU integral. */
export interface CpuMark {
  user: number;
  system: number;
}

/**
 * Bun cannot measure CPU time per async task (no per-context rusage, no
 * async_hooks before/after callbacks). This is the approximation Hearth uses
 * for the `ru_utime`/`ru_stime` metrics and the access log: the CPU time of
 * the thread running JavaScript (the `sample` clock: getrusage RUSAGE_THREAD,
 * as Synapse uses; see registry.ts) is split evenly between
 * the units of work (requests, background processes) running at the time.
 * Each unit's share is the integral of `cpu delta / units running` over its
 * lifetime, so the shares of all units add up to that thread's CPU time while
 * any unit was running. Work done while nothing is running (timers, GC when
 * idle) is not attributed. An idle long-poll gets the same share as a busy
 * request running beside it; the totals are right, the split is a guess.
 */
export class CpuShare {
  #active = 0;
  #perUnit: CpuTime = { user: 0, system: 0 };
  #last: { user: number; system: number };

  #lastAt = Number.NEGATIVE_INFINITY;

  /**
   * `sample` returns cumulative CPU in microseconds, as process.threadCpuUsage() does.
   * With `reuse`, units beginning or ending within `withinMs` (by `now`) of the last
   * sample take it again rather than asking the kernel: requests released together
   * begin and end microseconds apart, and a sample is a system call. The CPU used since
   * is then split at the next sample among the units running then; the total
   * attributed stays the thread's CPU while units run.
   */
  constructor(
    private readonly sample: () => { user: number; system: number },
    private readonly reuse?: { withinMs: number; now: () => number },
  ) {
    this.#last = sample();
  }

  get active(): number {
    return this.#active;
  }

  begin(): CpuMark {
    this.#advance(true);
    this.#active++;
    return { ...this.#perUnit };
  }

  /**
   * A mark that does not count as a unit: `since(mark)` is then what each
   * running unit received in between (used to time blocks inside a request).
   */
  mark(): CpuMark {
    this.#advance();
    return { ...this.#perUnit };
  }

  /** CPU attributed to the unit since `mark`, without ending it. */
  since(mark: CpuMark): CpuTime {
    this.#advance();
    return this.#sharedSince(mark);
  }

  end(mark: CpuMark): CpuTime {
    // The last unit to end reads the clock: what it used is nobody's once it has gone.
    this.#advance(this.#active > 1);
    const used = this.#sharedSince(mark);
    this.#active = Math.max(0, this.#active - 1);
    return used;
  }

  #sharedSince(mark: CpuMark): CpuTime {
    return { user: Math.max(0, this.#perUnit.user - mark.user), system: Math.max(0, this.#perUnit.system - mark.system) };
  }

  #advance(mayReuse = false): void {
    if (this.reuse) {
      const at = this.reuse.now();
      if (mayReuse && at - this.#lastAt < this.reuse.withinMs) return;
      this.#lastAt = at;
    }
    const now = this.sample();
    if (this.#active > 0) {
      // Negative deltas (clock adjustments, counter quirks) are clamped to 0, as Synapse does.
      this.#perUnit.user += Math.max(0, now.user - this.#last.user) / 1e6 / this.#active;
      this.#perUnit.system += Math.max(0, now.system - this.#last.system) / 1e6 / this.#active;
    }
    this.#last = now;
  }
}
