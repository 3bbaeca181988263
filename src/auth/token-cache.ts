import type { Clock } from "../observability/clock.ts";
import type { CacheStats } from "../observability/metrics/cache-metrics.ts";

export interface TokenCacheOptions {
  /** How long a looked-up row may answer, from the moment its read began. */
  ttlMs: number;
  /** The least recently used rows go first beyond this many. */
  maxEntries: number;
}

/** Short: it bounds how stale a row can be after a write this process did not see. */
export const TOKEN_CACHE_TTL_MS = 5_000;
export const TOKEN_CACHE_MAX_ENTRIES = 10_000;

/**
 * Access-token rows by token hash, so a request does not cost a database read. Every
 * write to the tables a row depends on (tokens, users) moves `generation()` (see
 * WriteGenerations); the first call that sees it moved drops everything, so logout,
 * device deletion, deactivation, locking and password changes take effect at once. A
 * row read while such a write was under way is not kept. Unknown tokens are not cached.
 * Keys are token hashes, never tokens.
 */
export class TokenCache<Row> {
  readonly #rows = new Map<string, { row: Row; expiresAt: number }>();
  #generation: number;
  #hits = 0;
  #misses = 0;
  #evicted = { size: 0, time: 0, invalidation: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly generation: () => number,
    private readonly opts: TokenCacheOptions = { ttlMs: TOKEN_CACHE_TTL_MS, maxEntries: TOKEN_CACHE_MAX_ENTRIES },
  ) {
    this.#generation = generation();
  }

  /** The cached row, or loads it with `load` (keeping it when `keep(row)` allows). */
  async get(tokenHash: string, load: () => Promise<Row | undefined>, keep: (row: Row) => boolean): Promise<Row | undefined> {
    this.#sync();
    const entry = this.#rows.get(tokenHash);
    const now = this.clock.now();
    if (entry) {
      if (entry.expiresAt > now) {
        this.#hits++;
        return entry.row;
      }
      this.#rows.delete(tokenHash);
      this.#evicted.time++;
    }
    this.#misses++;
    const before = this.generation();
    const row = await load();
    if (row !== undefined && keep(row) && this.generation() === before) {
      this.#sync();
      this.#rows.delete(tokenHash);
      this.#rows.set(tokenHash, { row, expiresAt: now + this.opts.ttlMs });
      if (this.#rows.size > this.opts.maxEntries) {
        // Map order is insertion order: the first key is the one cached longest ago.
        this.#rows.delete(this.#rows.keys().next().value as string);
        this.#evicted.size++;
      }
    }
    return row;
  }

  stats(): CacheStats {
    return {
      size: this.#rows.size,
      hits: this.#hits,
      misses: this.#misses,
      evicted: { ...this.#evicted },
      maxSize: this.opts.maxEntries,
    };
  }

  /** Drops every row once a write has moved the generation. */
  #sync(): void {
    const current = this.generation();
    if (current === this.#generation) return;
    this.#generation = current;
    this.#evicted.invalidation += this.#rows.size;
    this.#rows.clear();
  }
}
