/** Per-name transaction counts and durations: read by the profiling loop and the metrics. */
export interface TransactionTotals {
  count: number;
  totalMs: number;
}

export type TransactionListener = (name: string, durationMs: number, ok: boolean) => void;

export class TransactionStats {
  totalMs = 0;
  readonly byName = new Map<string, TransactionTotals>();
  readonly #listeners = new Set<TransactionListener>();

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
}
