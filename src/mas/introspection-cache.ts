import type { Clock } from "../observability/clock.ts";

export type CacheOutcome = "hit" | "miss" | "shared";

export interface ResponseCacheOptions {
  /** How long an answer is kept, from the moment its load finished. */
  ttlMs: number;
  /** The oldest-used entries go first beyond this many. */
  maxEntries: number;
}

/**
 * Answers by key for a while, with one load in flight per key: concurrent
 * callers share it. A load that throws is not kept, so the next call retries.
 * Keys may be secrets: this class never logs them.
 */
export class ResponseCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #inFlight = new Map<string, Promise<V>>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: ResponseCacheOptions,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  async get(key: string, load: () => Promise<V>): Promise<{ value: V; outcome: CacheOutcome }> {
    const entry = this.#entries.get(key);
    if (entry) {
      if (entry.expiresAt > this.clock.now()) {
        // Re-insert to keep Map order = least recently used first.
        this.#entries.delete(key);
        this.#entries.set(key, entry);
        return { value: entry.value, outcome: "hit" };
      }
      this.#entries.delete(key);
    }
    const pending = this.#inFlight.get(key);
    if (pending) return { value: await pending, outcome: "shared" };
    const promise = (async () => {
      try {
        const value = await load();
        this.#entries.set(key, { value, expiresAt: this.clock.now() + this.opts.ttlMs });
        while (this.#entries.size > this.opts.maxEntries) {
          this.#entries.delete(this.#entries.keys().next().value as string);
        }
        return value;
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, promise);
    return { value: await promise, outcome: "miss" };
  }

  evict(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
