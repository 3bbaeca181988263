import type { Requester } from "../http/context.ts";
import type { Clock } from "../observability/clock.ts";
import type { DeviceRow } from "../storage/stores/devices.ts";
import type { AccountActivityStore, DeviceSeen } from "../storage/stores/account-activity.ts";

/** A device seen again from the same address within this time is not recorded again (Synapse's granularity). */
export const LAST_SEEN_GRANULARITY_MS = 120_000;
/** How often the batch is written (Synapse's interval). */
export const LAST_SEEN_FLUSH_INTERVAL_MS = 5_000;
const MAX_RECENT = 100_000;
const MAX_USER_AGENT_LENGTH = 512;

/**
 * Devices' `last_seen_ts`/`last_seen_ip`/`last_seen_user_agent`, as Synapse
 * keeps them: authenticated requests are noted in memory (no database work on
 * the request path), and the batch is written every few seconds in one
 * transaction. Reads of devices merge the batch in, so they are never stale.
 */
export class LastSeenTracker {
  /** user NUL device → the latest sighting not yet written. */
  readonly #pending = new Map<string, DeviceSeen>();
  /** user NUL device NUL ip → when last recorded; Map order is recording order. */
  readonly #recent = new Map<string, number>();
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly store: AccountActivityStore,
  ) {}

  /** Notes an authenticated request. Requests without a device, or made by an admin as the user, are not tracked. */
  record(requester: Requester, ip: string, userAgent: string | null): void {
    const { userId, deviceId } = requester;
    if (deviceId === null || requester.puppetedBy !== undefined) return;
    const now = this.clock.now();
    const recentKey = `${userId}\u0000${deviceId}\u0000${ip}`;
    const last = this.#recent.get(recentKey);
    if (last !== undefined && now - last < LAST_SEEN_GRANULARITY_MS) return;
    this.#recent.delete(recentKey);
    this.#recent.set(recentKey, now);
    if (this.#recent.size > MAX_RECENT) this.#recent.delete(this.#recent.keys().next().value!);
    this.#pending.set(`${userId}\u0000${deviceId}`, {
      userId,
      deviceId,
      ip,
      userAgent: userAgent === null ? null : userAgent.slice(0, MAX_USER_AGENT_LENGTH),
      ts: now,
    });
  }

  /** The rows with sightings not yet written applied. */
  overlay(rows: DeviceRow[]): DeviceRow[] {
    if (this.#pending.size === 0) return rows;
    return rows.map((row) => {
      const seen = this.#pending.get(`${row.userId}\u0000${row.deviceId}`);
      if (!seen || (row.lastSeenTs !== null && row.lastSeenTs > seen.ts)) return row;
      return { ...row, lastSeenTs: seen.ts, lastSeenIp: seen.ip, lastSeenUserAgent: seen.userAgent };
    });
  }

  /** Writes the batch. Runs one at a time, so an older batch never overwrites a newer one. */
  flush(): Promise<void> {
    // A failed write loses that batch only (the caller logs it); later flushes still run.
    this.#flushing = this.#flushing.catch(() => undefined).then(async () => {
      if (this.#pending.size === 0) return;
      const batch = [...this.#pending.values()];
      this.#pending.clear();
      this.#forgetOld();
      await this.store.updateLastSeen(batch);
    });
    return this.#flushing;
  }

  #forgetOld(): void {
    const cutoff = this.clock.now() - LAST_SEEN_GRANULARITY_MS;
    for (const [key, ts] of this.#recent) {
      if (ts > cutoff) break;
      this.#recent.delete(key);
    }
  }
}
