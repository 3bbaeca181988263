import type { Notifier } from "../notifier/notifier.ts";
import type { PresenceState } from "../storage/stores/presence.ts";
import { buildSync } from "./builder.ts";
import type { SyncContext, SyncDeps } from "./context.ts";
import type { Filter } from "./filter.ts";
import { formatSyncToken, parseSyncToken, type SyncToken } from "./token.ts";

export interface SyncRequest {
  userId: string;
  deviceId: string | null;
  txnScope: string;
  since?: string;
  /** Long-poll timeout; 0 answers at once. */
  timeoutMs: number;
  fullState: boolean;
  setPresence: PresenceState;
  filter: Filter | undefined;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

/** Longest long-poll a client may ask for; clients ask for 30 s, and proxies cut idle connections. */
export const MAX_SYNC_TIMEOUT_MS = 5 * 60_000;

/**
 * GET /sync. An initial or full-state sync answers at once. An incremental one
 * answers at once when something after `since` concerns the user; otherwise it
 * waits on the notifier until something does or the timeout passes. Checking
 * the in-memory stream positions and registering the wait happen in one
 * synchronous step, so no change can slip between them.
 */
export class SyncHandler {
  constructor(
    private readonly deps: SyncDeps,
    private readonly notifier: Notifier,
    /** Re-reads positions of streams other modules write (they may not have told us). */
    private readonly catchUp: () => Promise<void> = async () => {},
  ) {}

  async sync(req: SyncRequest): Promise<Record<string, unknown>> {
    const since = req.since ? parseSyncToken(req.since) : undefined;
    // Events committed before this request are still being processed (push rules):
    // wait for them, so a client always sees its own writes.
    await this.notifier.flush();
    const release = await this.deps.presence.userSyncing(req.userId, req.setPresence);
    try {
      const ctx = (s: SyncToken | undefined, upTo: SyncToken): SyncContext => ({
        userId: req.userId,
        deviceId: req.deviceId,
        txnScope: req.txnScope,
        filter: req.filter,
        since: s,
        upTo,
        fullState: req.fullState,
      });
      if (!since || req.fullState) return (await buildSync(this.deps, ctx(since, this.deps.streams.current()))).body;
      return await this.#longPoll(req, since, ctx);
    } finally {
      release();
    }
  }

  async #longPoll(
    req: SyncRequest,
    since: SyncToken,
    ctx: (s: SyncToken, upTo: SyncToken) => SyncContext,
  ): Promise<Record<string, unknown>> {
    const { clock, streams, rooms } = this.deps;
    const deadline = clock.now() + Math.min(Math.max(0, req.timeoutMs), MAX_SYNC_TIMEOUT_MS);
    let cursor = since;
    for (;;) {
      const [joined] = await Promise.all([rooms.joinedRoomIds(req.userId), this.catchUp()]);
      // From here to the wait: no await, so nothing can change unseen.
      const upTo = streams.current();
      const news =
        streams.log("events").mayHaveChanged(cursor.events, req.userId, joined) ||
        streams.changedStreams(cursor, req.userId, joined).length > 0;
      if (news) {
        const built = await buildSync(this.deps, ctx(cursor, upTo));
        if (built.hasNews || clock.now() >= deadline || req.signal?.aborted) return built.body;
        // Nothing in (cursor, upTo] was for this client: wait for what comes after.
        cursor = upTo;
        continue;
      }
      const remaining = deadline - clock.now();
      if (remaining <= 0 || req.signal?.aborted) return { next_batch: formatToken(upTo, cursor) };
      await this.notifier.waitForEvents({ userId: req.userId, roomIds: joined, since: upTo.events, timeoutMs: remaining, signal: req.signal });
    }
  }
}

/** The token of an empty answer: never behind the client's own. */
function formatToken(upTo: SyncToken, cursor: SyncToken): string {
  const out = { ...upTo };
  for (const k of Object.keys(out) as Array<keyof SyncToken>) out[k] = Math.max(out[k], cursor[k]);
  return formatSyncToken(out);
}
