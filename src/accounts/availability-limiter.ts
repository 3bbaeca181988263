import type { Clock } from "../observability/clock.ts";
import { LimitExceededError } from "../ratelimit/limiter.ts";

/**
 * Synapse's fixed limit on `GET /register/available` per client IP (a
 * FederationRateLimiter with these settings): one request at a time; more than
 * one in a 2 s window waits 1 s first; with more than one already waiting, 429.
 */
export const AVAILABILITY_LIMIT = { windowMs: 2000, sleepLimit: 1, sleepDelayMs: 1000, rejectLimit: 1, concurrent: 1 };
const MAX_KEYS = 10_000;

interface KeyState {
  /** When recent requests arrived, oldest first. */
  times: number[];
  /** Requests sleeping or waiting for their turn. */
  queued: number;
  active: number;
  /** Requests waiting for a turn; each is handed the slot of the one finishing. */
  waiters: Array<() => void>;
}

export class AvailabilityLimiter {
  readonly #keys = new Map<string, KeyState>();

  constructor(
    private readonly clock: Clock,
    private readonly limit = AVAILABILITY_LIMIT,
  ) {}

  /** Runs `fn` under the limit for `key` (the client IP); throws a 429 LimitExceededError when too many wait. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const { windowMs, sleepLimit, sleepDelayMs, rejectLimit, concurrent } = this.limit;
    const now = this.clock.now();
    const state = this.#state(key);
    state.times = state.times.filter((t) => now - t < windowMs);
    if (state.queued > rejectLimit) throw new LimitExceededError("register_available", Math.trunc(windowMs / sleepLimit));
    state.times.push(now);

    const sleep = state.times.length > sleepLimit;
    const wait = sleep || state.active >= concurrent;
    if (wait) state.queued++;
    try {
      if (sleep) await this.clock.sleep(sleepDelayMs);
      if (state.active >= concurrent) await new Promise<void>((resolve) => state.waiters.push(resolve));
      else state.active++;
    } finally {
      if (wait) state.queued--;
    }
    try {
      return await fn();
    } finally {
      const next = state.waiters.shift();
      if (next) next();
      else state.active--;
      this.#dropIfIdle(key, state);
    }
  }

  #state(key: string): KeyState {
    let state = this.#keys.get(key);
    if (!state) {
      if (this.#keys.size >= MAX_KEYS) this.#sweep();
      state = { times: [], queued: 0, active: 0, waiters: [] };
      this.#keys.set(key, state);
    }
    return state;
  }

  #dropIfIdle(key: string, state: KeyState): void {
    const now = this.clock.now();
    if (state.active === 0 && state.queued === 0 && state.times.every((t) => now - t >= this.limit.windowMs)) this.#keys.delete(key);
  }

  #sweep(): void {
    for (const [key, state] of this.#keys) this.#dropIfIdle(key, state);
  }
}
