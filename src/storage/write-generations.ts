/**
 * Write counters per table, kept by the stores that write those tables, so an in-memory
 * cache of rows can tell whether a write may have overlapped its read and drop what it
 * holds (see src/auth/token-cache.ts).
 *
 * A store wraps each write in `around`: the counter moves when the write starts and again
 * when it has settled (committed, failed or rolled back). A reader notes the counter
 * before reading; if it differs afterwards, a write overlapped the read and the result
 * must not be cached. SQLite reads on the writer's connection see uncommitted rows, which
 * the bump at the start covers; the bump at the end covers reads that started before the
 * write and finish after it.
 *
 * The write must be the outermost transaction: nested in a caller's transaction it would
 * settle before that commits, and a PostgreSQL reader could still cache the old row after
 * the last bump. `around` refuses to run there rather than let a cache go stale.
 *
 * Only writes made through this process's stores are seen. Another process sharing a
 * PostgreSQL database is not: caches built on this also keep a short lifetime.
 */
export class WriteGenerations {
  readonly #counters = new Map<string, number>();

  /** `inTransaction` tells whether the caller runs inside a database transaction. */
  constructor(private readonly inTransaction: () => boolean) {}

  /** The counter of `table`; 0 until something writes it. */
  current(table: string): number {
    return this.#counters.get(table) ?? 0;
  }

  /** The sum of the counters of `tables`: changes whenever one of them does. */
  sum(tables: readonly string[]): number {
    let n = 0;
    for (const t of tables) n += this.current(t);
    return n;
  }

  bump(tables: readonly string[]): void {
    for (const t of tables) this.#counters.set(t, this.current(t) + 1);
  }

  /** Runs `write`, moving the counters of `tables` before it starts and after it settles. */
  async around<T>(tables: readonly string[], write: () => Promise<T>): Promise<T> {
    if (this.inTransaction()) throw new Error(`a write to ${tables.join(", ")} must not run inside another transaction`);
    this.bump(tables);
    try {
      return await write();
    } finally {
      this.bump(tables);
    }
  }
}
