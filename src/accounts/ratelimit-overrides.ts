import type { RatelimitOverride } from "../ratelimit/limiter.ts";
import type { RatelimitOverridesStore } from "../storage/stores/ratelimit-overrides.ts";

/**
 * The `ratelimit_override` table in memory (limiters look it up on every
 * check, synchronously). Loaded at start; the admin API refreshes one user
 * after changing their row.
 */
export class RatelimitOverrides {
  #byUser = new Map<string, RatelimitOverride>();

  constructor(private readonly store: RatelimitOverridesStore) {}

  async load(): Promise<void> {
    this.#byUser = await this.store.loadAll();
  }

  get(userId: string): RatelimitOverride | undefined {
    return this.#byUser.get(userId);
  }

  /** Re-reads one user's row (after the admin API wrote or deleted it). */
  async refresh(userId: string): Promise<void> {
    const row = await this.store.get(userId);
    if (row) this.#byUser.set(userId, row);
    else this.#byUser.delete(userId);
  }
}
