import { currentUsage } from "../observability/log-context.ts";
/** Per-name transaction counts and durations: read by the profiling loop and the metrics. */
export interface TransactionTotals {
  count: number;
  totalMs: number;
}

export type TransactionListener = (name: string, durationMs: number, ok: boolean) => void;

/** Finer timings for metrics: waiting for the connection, and single statements. */
export interface TimingListener {
  /** A transaction waited `ms` for the connection (SQLite: its place in the queue; PostgreSQL: the pool and BEGIN). */
  schedule(ms: number): void;
  /** One SQL statement took `ms`. */
  query(sql: string, ms: number): void;
}

export class TransactionStats {
  totalMs = 0;
  readonly byName = new Map<string, TransactionTotals>();
  readonly #listeners = new Set<TransactionListener>();
  readonly #timing = new Set<TimingListener>();

  record(name: string, durationMs: number, ok: boolean): void {
    this.totalMs += durationMs;
    let t = this.byName.get(name);
    if (!t) this.byName.set(name, (t = { count: 0, totalMs: 0 }));
    t.count++;
    t.totalMs += durationMs;
    for (const l of this.#listeners) l(name, durationMs, ok);
  }

  /** Returns a function that removes the listener again. */
  addListener(fn: TransactionListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Whether anyone listens to timings: the database does not time statements otherwise. */
  get timed(): boolean {
    return this.#timing.size > 0;
  }

  recordSchedule(ms: number): void {
    const usage = currentUsage();
    if (usage) usage.dbSchedMs += ms;
    for (const l of this.#timing) l.schedule(ms);
  }

  recordQuery(sql: string, ms: number): void {
    for (const l of this.#timing) l.query(sql, ms);
  }

  /** Returns a function that removes the listener again. */
  addTimingListener(listener: TimingListener): () => void {
    this.#timing.add(listener);
    return () => this.#timing.delete(listener);
  }
}
