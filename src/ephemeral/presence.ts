import type { Clock, LoopingCall } from "../observability/clock.ts";
import type { PresenceRow, PresenceState, PresenceStore } from "../storage/stores/presence.ts";
import type { PresenceObserver } from "./presence-metrics.ts";

export interface PresenceTimings {
  /** Online users without activity for this long become unavailable. */
  idleMs: number;
  /** Users with no /sync open for this long become offline. */
  syncTimeoutMs: number;
  /** last_active is persisted (and shown to others) at most this often while online. */
  activeGranularityMs: number;
  /** How often the timeouts above are checked. */
  sweepMs: number;
}

export const DEFAULT_PRESENCE_TIMINGS: PresenceTimings = {
  idleMs: 5 * 60_000,
  syncTimeoutMs: 30_000,
  activeGranularityMs: 60_000,
  sweepMs: 5_000,
};

/** Called after a user's presence was written, with the new presence stream position. */
export type PresenceChanged = (userId: string, position: number) => void;

/** The `content` of an `m.presence` event and the body of GET /presence/{userId}/status. */
export interface PresenceContent {
  presence: PresenceState;
  last_active_ago?: number;
  status_msg?: string | null;
  currently_active?: boolean;
}

interface Tracked {
  row: PresenceRow;
  /** /sync requests of the user open right now in this process. */
  syncing: number;
}

const UNTRACKED_CACHE_SIZE = 10_000;

export function isPresenceState(s: unknown): s is PresenceState {
  return s === "online" || s === "unavailable" || s === "offline";
}

/**
 * Presence of users: set by PUT /presence and by /sync's set_presence, timed
 * out to unavailable (idle) and offline (no /sync) through the Clock. Users
 * with an open /sync in this process are tracked in memory; everyone else's
 * presence is read from the database.
 */
export class PresenceService {
  readonly #tracked = new Map<string, Tracked>();
  #loop: LoopingCall | undefined;
  /** Serialises changes per user so concurrent requests cannot reorder writes. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /**
   * Presence of recent users who are not tracked (offline, or never had one: null), so
   * that a bot sending without syncing costs no database read per event. Every write
   * goes through this service, which keeps the entries current.
   */
  readonly #untracked = new Map<string, PresenceRow | null>();

  constructor(
    private readonly clock: Clock,
    private readonly store: PresenceStore,
    private readonly changed: PresenceChanged = () => {},
    private readonly timings: PresenceTimings = DEFAULT_PRESENCE_TIMINGS,
    private readonly observer?: PresenceObserver,
  ) {}

  /** Starts the timeout sweep; users left online by a previous run get a grace period to reconnect. */
  async start(): Promise<void> {
    const now = this.clock.now();
    for (const row of await this.store.changedSince(0)) {
      if (row.state !== "offline") this.#tracked.set(row.userId, { row: { ...row, lastSyncTs: now }, syncing: 0 });
    }
    this.#loop = this.clock.loopingCall(this.timings.sweepMs, () => this.sweep(), { name: "presence_timeouts" });
  }

  stop(): void {
    this.#loop?.stop();
  }

  async get(userId: string): Promise<PresenceRow | undefined> {
    const known = this.#known(userId);
    if (known) return known;
    const cached = this.#untracked.get(userId);
    if (cached !== undefined) return cached ?? undefined;
    const row = (await this.store.getMany([userId]))[0];
    if (!this.#tracked.has(userId)) this.#remember(userId, row ?? null);
    return row;
  }

  #remember(userId: string, row: PresenceRow | null): void {
    this.#untracked.delete(userId);
    if (this.#untracked.size >= UNTRACKED_CACHE_SIZE) this.#untracked.delete(this.#untracked.keys().next().value!);
    this.#untracked.set(userId, row);
  }

  /** The tracked row, unless it is only a placeholder for a user who never had a presence. */
  #known(userId: string): PresenceRow | undefined {
    const row = this.#tracked.get(userId)?.row;
    return row && row.streamId > 0 ? row : undefined;
  }

  async getMany(userIds: readonly string[]): Promise<PresenceRow[]> {
    const out: PresenceRow[] = [];
    const missing: string[] = [];
    for (const u of userIds) {
      const row = this.#known(u);
      if (row) out.push(row);
      else missing.push(u);
    }
    if (missing.length) out.push(...(await this.store.getMany(missing)));
    return out;
  }

  /** PUT /presence/{userId}/status. */
  setState(userId: string, state: PresenceState, statusMsg: string | null): Promise<void> {
    return this.#serial(userId, async () => {
      const now = this.clock.now();
      const cur = await this.get(userId);
      const lastActiveTs = state === "online" ? now : (cur?.lastActiveTs ?? now);
      await this.#write({ userId, state, statusMsg, lastActiveTs, lastSyncTs: cur?.lastSyncTs ?? 0 }, cur);
    });
  }

  /**
   * A /sync request started. With set_presence online an offline user comes
   * online; `unavailable` sets that state; `offline` leaves presence alone.
   * Returns the function to call when the request ends.
   */
  async userSyncing(userId: string, setPresence: PresenceState): Promise<() => void> {
    await this.#serial(userId, async () => {
      const now = this.clock.now();
      const cur = await this.get(userId);
      const tracked = this.#track(userId, cur, now);
      tracked.syncing++;
      tracked.row.lastSyncTs = now;
      if (setPresence === "offline" || cur?.state === setPresence) return;
      // An explicit unavailable (PUT, or idle) is not overridden by a sync asking for online.
      if (setPresence === "online" && cur?.state === "unavailable") return;
      await this.#write({
        userId,
        state: setPresence,
        statusMsg: cur?.statusMsg ?? null,
        lastActiveTs: setPresence === "online" ? now : (cur?.lastActiveTs ?? now),
        lastSyncTs: now,
      }, cur);
    });
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const t = this.#tracked.get(userId);
      if (t) {
        t.syncing = Math.max(0, t.syncing - 1);
        t.row.lastSyncTs = this.clock.now();
      }
    };
  }

  /**
   * The user did something (sent an event, typed, read): their last activity
   * moves (persisted at most once per granularity), and an idle (unavailable)
   * user is online again. Offline stays offline, as in Synapse: a bot syncing
   * with set_presence=offline does not come online by sending.
   */
  bumpActive(userId: string): Promise<void> {
    this.observer?.bumped(userId);
    // Every message sends its sender here: with nothing queued for them and their row
    // cached, what the queued step would decide is known now, without a turn of the queue.
    if (!this.#queues.has(userId)) {
      const cached = this.#known(userId) ?? this.#untracked.get(userId);
      if (cached === null || (cached !== undefined && !this.#bumpMoves(cached, this.clock.now()))) return Promise.resolve();
    }
    return this.#serial(userId, async () => {
      const now = this.clock.now();
      const cur = await this.get(userId);
      // Someone who never had a presence (never synced or set one) is offline: nothing to move.
      if (!cur || !this.#bumpMoves(cur, now)) return;
      const state = cur.state === "unavailable" ? "online" : cur.state;
      await this.#write({
        userId,
        state,
        statusMsg: cur.statusMsg,
        lastActiveTs: now,
        lastSyncTs: cur.lastSyncTs,
      }, cur);
    });
  }

  /** Whether activity at `now` changes the row: its last activity is old, or it is idle. */
  #bumpMoves(row: PresenceRow, now: number): boolean {
    return now - row.lastActiveTs >= this.timings.activeGranularityMs || row.state === "unavailable";
  }

  /** Applies the idle and sync timeouts; the looping call runs this. */
  async sweep(): Promise<void> {
    const now = this.clock.now();
    for (const [userId, t] of [...this.#tracked]) {
      const { row } = t;
      let next: PresenceState | undefined;
      if (t.syncing === 0 && row.state !== "offline" && now - row.lastSyncTs > this.timings.syncTimeoutMs) next = "offline";
      else if (row.state === "online" && now - row.lastActiveTs > this.timings.idleMs) next = "unavailable";
      if (next) {
        await this.#serial(userId, () => this.#write({ ...t.row, state: next }, t.row.streamId > 0 ? t.row : undefined));
      }
      if (t.syncing === 0 && t.row.state === "offline") {
        this.#tracked.delete(userId);
        this.#remember(userId, t.row.streamId > 0 ? t.row : null);
      }
    }
  }

  /** The presence content others see, with times relative to now. */
  format(row: PresenceRow): PresenceContent {
    const now = this.clock.now();
    const out: PresenceContent = { presence: row.state, last_active_ago: Math.max(0, now - row.lastActiveTs) };
    if (row.statusMsg !== null) out.status_msg = row.statusMsg;
    if (row.state === "online") out.currently_active = now - row.lastActiveTs < this.timings.activeGranularityMs;
    return out;
  }

  #track(userId: string, cur: PresenceRow | undefined, now: number): Tracked {
    let t = this.#tracked.get(userId);
    if (!t) {
      const row: PresenceRow = cur ?? {
        userId,
        state: "offline",
        statusMsg: null,
        lastActiveTs: now,
        lastSyncTs: now,
        currentlyActive: false,
        streamId: 0,
      };
      t = { row, syncing: 0 };
      this.#tracked.set(userId, t);
      this.#untracked.delete(userId);
    }
    return t;
  }

  /** Writes a presence; `prev` is the one it replaces (undefined when the user had none). */
  async #write(next: Omit<PresenceRow, "streamId" | "currentlyActive">, prev: PresenceRow | undefined): Promise<void> {
    const now = this.clock.now();
    const currentlyActive = next.state === "online" && now - next.lastActiveTs < this.timings.activeGranularityMs;
    const row = await this.store.put({ ...next, currentlyActive });
    this.observer?.updated(prev, row);
    const t = this.#tracked.get(row.userId);
    if (t) t.row = row;
    else if (row.state !== "offline") {
      this.#tracked.set(row.userId, { row, syncing: 0 });
      this.#untracked.delete(row.userId);
    } else this.#remember(row.userId, row);
    // Every write takes a stream position, so waiting /syncs must hear of it.
    this.changed(row.userId, row.streamId);
  }

  #serial<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#queues.get(userId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.#queues.set(userId, settled);
    void settled.then(() => {
      if (this.#queues.get(userId) === settled) this.#queues.delete(userId);
    });
    return next;
  }
}
