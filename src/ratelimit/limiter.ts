import type { Clock, LoopingCall } from "../observability/clock.ts";
import { MatrixError } from "../http/errors.ts";

/** How long the HTTP layer waits before sending a 429, so clients cannot retry in a tight loop. */
export const RATE_LIMIT_PAUSE_MS = 500;

/**
 * Hearth divergence from Synapse: a limiter with per_second <= 0 is "burst
 * only, never refills". Synapse divides by zero (500) when storing an allowed
 * action and reports a negative retry_after_ms on denial; Hearth stores the
 * bucket forever and reports this retry delay instead.
 */
export const BURST_ONLY_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

const PRUNE_INTERVAL_MS = 15_000;
const DEFAULT_MAX_KEYS = 100_000;

/** A per-user `ratelimit_override` row, kept in memory by the homeserver. */
export type RatelimitOverride = { messagesPerSecond: number | null; burstCount: number | null };
export type OverrideLookup = (userId: string) => RatelimitOverride | undefined;

export interface RatelimiterOptions {
  /** The config key, e.g. "rc_room_creation"; carried on 429 errors for the log line. */
  name: string;
  perSecond: number;
  burstCount: number;
  clock: Clock;
  /** Upper bound on tracked keys; the least recently updated bucket is dropped when full. */
  maxKeys?: number;
  overrides?: OverrideLookup;
  /** Only rc_message: a non-zero override replaces the rate and burst. */
  honourOverrideRates?: boolean;
  /** Told of every refusal by `ratelimit()` (the homeserver counts them in its metrics). */
  onReject?: (limiterName: string) => void;
}

export interface ActionTarget {
  /** The user doing the action; the key when `key` is absent, and the subject of exemptions. */
  requester?: string;
  key?: string;
  /**
   * When the requester acts through an application service: its registration's
   * `rate_limited`. `false` exempts the request, as in Synapse.
   */
  appServiceRateLimited?: boolean;
}

export interface ActionCheck extends ActionTarget {
  rateHz?: number;
  burstCount?: number;
  /** Whether an allowed check consumes tokens. Default true. */
  update?: boolean;
  nActions?: number;
}

export interface ActionResult {
  allowed: boolean;
  /** Epoch ms at which the next action would be allowed; -1 when the requester is exempt. */
  timeAllowedMs: number;
}

/** The 429 a limiter throws; a MatrixError so the error middleware renders it unchanged. */
export class LimitExceededError extends MatrixError {
  readonly retryAfterMs: number;
  readonly retryAfterSeconds: number;
  constructor(
    readonly limiterName: string,
    retryAfterMs: number,
  ) {
    super(429, "M_LIMIT_EXCEEDED", "Too Many Requests", { retry_after_ms: retryAfterMs });
    this.retryAfterMs = retryAfterMs;
    this.retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
    this.headers = { "Retry-After": String(this.retryAfterSeconds) };
  }
}

interface Bucket {
  /** Tokens added since `startMs`, the moment the bucket was last empty. */
  count: number;
  startMs: number;
  /** The leak rate the bucket was stored with, for pruning. */
  rateHz: number;
}

/**
 * A leaky-bucket limiter for one kind of action, keyed by user, IP, room...
 * Behaviour spec §3.2. State is in memory and per process.
 */
export class Ratelimiter {
  readonly name: string;
  readonly perSecond: number;
  readonly burstCount: number;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #overrides: OverrideLookup | undefined;
  readonly #honourOverrideRates: boolean;
  readonly #onReject: ((limiterName: string) => void) | undefined;
  // Map order is the eviction order: a bucket is re-inserted whenever it is stored.
  readonly #buckets = new Map<string, Bucket>();
  readonly #loop: LoopingCall;

  constructor(opts: RatelimiterOptions) {
    this.name = opts.name;
    this.perSecond = opts.perSecond;
    this.burstCount = opts.burstCount;
    this.#clock = opts.clock;
    this.#maxKeys = Math.max(1, opts.maxKeys ?? DEFAULT_MAX_KEYS);
    this.#overrides = opts.overrides;
    this.#honourOverrideRates = opts.honourOverrideRates ?? false;
    this.#onReject = opts.onReject;
    this.#loop = this.#clock.loopingCall(PRUNE_INTERVAL_MS, () => this.#prune(), { name: `ratelimit_prune_${opts.name}` });
  }

  /** Number of buckets currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  has(key: string): boolean {
    return this.#buckets.has(key);
  }

  stop(): void {
    this.#loop.stop();
  }

  canDoAction(check: ActionCheck): ActionResult {
    const now = this.#clock.now();
    return this.#check(check, now);
  }

  /** Like canDoAction, but throws a 429 LimitExceededError when denied. */
  ratelimit(check: ActionCheck): void {
    const now = this.#clock.now();
    const { allowed, timeAllowedMs } = this.#check(check, now);
    if (allowed) return;
    this.#onReject?.(this.name);
    throw new LimitExceededError(this.name, Math.max(0, Math.trunc(timeAllowedMs - now)));
  }

  /**
   * Counts actions the server could not refuse (e.g. remote joins), even past
   * the burst. A negative `nActions` refunds tokens. No exemptions apply.
   */
  recordAction(target: ActionTarget & { nActions?: number }): void {
    const key = keyOf(target);
    const now = this.#clock.now();
    const existing = this.#buckets.get(key);
    const rateHz = existing?.rateHz ?? this.perSecond;
    // Synapse adds to a drained-but-unpruned bucket without leaking it first,
    // which can make the recorded actions vanish; leaking first counts them.
    const { count, startMs } = leak(existing, rateHz, now);
    this.#store(key, { count: count + (target.nActions ?? 1), startMs, rateHz }, now);
  }

  #check(check: ActionCheck, now: number): ActionResult {
    const key = keyOf(check);
    let rateHz = check.rateHz ?? this.perSecond;
    let burst = check.burstCount ?? this.burstCount;
    if (check.requester !== undefined) {
      if (check.appServiceRateLimited === false) return { allowed: true, timeAllowedMs: -1 };
      const override = this.#overrides?.(check.requester);
      if (override) {
        if (!override.messagesPerSecond) return { allowed: true, timeAllowedMs: -1 };
        if (this.#honourOverrideRates) {
          rateHz = override.messagesPerSecond;
          // A null burst keeps the configured one (Synapse would use 0 and refuse everything).
          burst = override.burstCount ?? burst;
        }
      }
    }
    const nActions = check.nActions ?? 1;

    const { startMs, performed, count: before } = leak(this.#buckets.get(key), rateHz, now);
    let count = before;
    // Compared this way round (not performed + n > burst) to avoid float rounding, as Synapse does.
    const allowed = !(performed > burst - nActions);
    if (allowed) {
      count += nActions;
      if (check.update ?? true) this.#store(key, { count, startMs, rateHz }, now);
    }

    if (rateHz > 0) {
      // Uses the post-decision count: the time the bucket has room for one more.
      const next = startMs + ((count - burst + 1) * 1000) / rateHz;
      return { allowed, timeAllowedMs: Math.max(now, next) };
    }
    const full = count > burst - 1;
    return { allowed, timeAllowedMs: full ? now + BURST_ONLY_RETRY_AFTER_MS : now };
  }

  #store(key: string, bucket: Bucket, now: number): void {
    this.#buckets.delete(key);
    if (drainsAtMs(bucket) <= now) return; // already empty: nothing worth remembering
    if (this.#buckets.size >= this.#maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (!oldest.done) this.#buckets.delete(oldest.value);
    }
    this.#buckets.set(key, bucket);
  }

  #prune(): void {
    const now = this.#clock.now();
    for (const [key, bucket] of this.#buckets) {
      if (drainsAtMs(bucket) <= now) this.#buckets.delete(key);
    }
  }
}

function keyOf(target: ActionTarget): string {
  const key = target.key ?? target.requester;
  if (key === undefined) throw new Error("Ratelimiter: supply a requester or a key");
  return key;
}

/**
 * The bucket's state at `now`: `performed` is what is still in it. Once it has
 * fully leaked, every token is forgiven and the bucket restarts at `now`.
 */
function leak(bucket: Bucket | undefined, rateHz: number, now: number) {
  if (!bucket) return { count: 0, startMs: now, performed: 0 };
  const performed = rateHz > 0 ? bucket.count - ((now - bucket.startMs) / 1000) * rateHz : bucket.count;
  if (performed < 0) return { count: 0, startMs: now, performed: 0 };
  return { count: bucket.count, startMs: bucket.startMs, performed };
}

/** When the bucket will be empty; never for a burst-only bucket that holds tokens. */
function drainsAtMs(bucket: Bucket): number {
  if (bucket.count <= 0) return -Infinity;
  if (bucket.rateHz <= 0) return Infinity;
  return bucket.startMs + (bucket.count * 1000) / bucket.rateHz;
}
