import { getLogger } from "@logtape/logtape";
import { serverNameOf } from "../matrix/identifiers.ts";
import type { BackgroundProcesses } from "../observability/background.ts";
import type { Clock } from "../observability/clock.ts";
import type { PushActionsStore } from "../storage/stores/push-actions.ts";
import type { PushDefaultSummary, PushRetentionStore } from "../storage/stores/push-retention.ts";
import type { ReceiptsStore } from "../storage/stores/receipts.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";

const log = getLogger(["hearth", "push"]);

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

/**
 * How long push outcomes (unread counts, GET /notifications) are kept.
 *
 * Synapse deletes a notification that did not highlight once it is read (at
 * the receipt) or once a day old (its count moves to event_push_summary), and
 * keeps highlights. Without a summary table an unread row is the count, so
 * here unread rows that did not highlight are kept for `maxAgeMs` (counts of
 * older notifications fall away), read ones for `readGraceMs` (GET
 * /notifications keeps showing recent ones as read), read highlights for
 * `readHighlightMs`, and unread highlights (mentions) until read.
 */
export interface PushRetentionPolicy {
  maxAgeMs: number;
  readGraceMs: number;
  readHighlightMs: number;
  /** How often the prune runs. */
  intervalMs: number;
  /** Rows deleted per transaction. */
  batchSize: number;
  /** Default rows looked at per room and run by the read rule. */
  perRoomLimit: number;
}

export const DEFAULT_PUSH_RETENTION: PushRetentionPolicy = {
  maxAgeMs: 30 * DAY,
  readGraceMs: DAY,
  readHighlightMs: 30 * DAY,
  intervalMs: HOUR,
  batchSize: 1000,
  perRoomLimit: 2000,
};

export interface PruneResult {
  defaults: number;
  explicit: number;
}

/** A reader of a room's default rows: since when they count for them, and their read receipts. */
export interface DefaultReader {
  userId: string;
  /** Events at or before this position never count for them (they joined later). */
  since: number;
}

export interface ReadReceiptPosition {
  userId: string;
  /** "" for an unthreaded receipt. */
  threadId: string;
  eventStreamOrdering: number;
}

/**
 * The default rows no reader counts any more: for every reader other than the
 * sender, the event is at or before their join or their read receipt (an
 * unthreaded one, or one in the event's thread). Readers are the users who may
 * count a default row: the room's local joined members and those push
 * processing recorded.
 */
export function readByEveryone(
  rows: readonly PushDefaultSummary[],
  readers: readonly DefaultReader[],
  receipts: readonly ReadReceiptPosition[],
): string[] {
  const unthreaded = new Map<string, number>();
  const threaded = new Map<string, number>();
  for (const r of receipts) {
    const map = r.threadId === "" ? unthreaded : threaded;
    const key = r.threadId === "" ? r.userId : `${r.userId}\u0000${r.threadId}`;
    map.set(key, Math.max(map.get(key) ?? 0, r.eventStreamOrdering));
  }
  // Per thread, the two readers who have read least: the sender may be one of them.
  const lowest = new Map<string, Array<{ userId: string; pos: number }>>();
  const lowestIn = (threadId: string) => {
    let two = lowest.get(threadId);
    if (two) return two;
    two = [];
    for (const { userId, since } of readers) {
      const pos = Math.max(since, unthreaded.get(userId) ?? 0, threaded.get(`${userId}\u0000${threadId}`) ?? 0);
      two.push({ userId, pos });
      two.sort((a, b) => a.pos - b.pos);
      if (two.length > 2) two.pop();
    }
    lowest.set(threadId, two);
    return two;
  };
  const out: string[] = [];
  for (const row of rows) {
    const [a, b] = lowestIn(row.threadId);
    const least = a?.userId === row.sender ? b : a;
    if (least === undefined || least.pos >= row.streamOrdering) out.push(row.eventId);
  }
  return out;
}

/**
 * Prunes push outcomes nobody needs any more (see PushRetentionPolicy); runs
 * hourly as the background process `prune_push_actions`.
 */
export class PushActionsPruner {
  constructor(
    private readonly serverName: string,
    private readonly clock: Clock,
    private readonly store: PushRetentionStore,
    private readonly deps: {
      actions: Pick<PushActionsStore, "membersOf">;
      receipts: Pick<ReceiptsStore, "inRooms">;
      rooms: Pick<RoomsStore, "members">;
    },
    private readonly policy: PushRetentionPolicy = DEFAULT_PUSH_RETENTION,
  ) {}

  /** Starts the hourly prune; returns its stop. A run never overlaps the previous one. */
  start(background: BackgroundProcesses): () => void {
    const loop = this.clock.loopingCall(this.policy.intervalMs, () => background.run("prune_push_actions", () => this.prune()), {
      name: "prune_push_actions",
    });
    return () => loop.stop();
  }

  async prune(): Promise<PruneResult> {
    const now = this.clock.now();
    const p = this.policy;
    // Default rows first: per-user rows that are exceptions to one go only after it.
    let defaults = await this.store.deleteOldDefaults(now - p.maxAgeMs, p.batchSize);
    defaults += await this.#pruneReadDefaults(now);
    let explicit = await this.store.deleteOldExplicit(now - p.maxAgeMs, p.batchSize);
    explicit += await this.store.deleteReadExplicit(now - p.readGraceMs, now - p.readHighlightMs, p.batchSize);
    if (defaults + explicit > 0) log.info("Pruned {defaults} default and {explicit} per-user push outcomes", { defaults, explicit });
    return { defaults, explicit };
  }

  async #pruneReadDefaults(now: number): Promise<number> {
    const p = this.policy;
    const highlightCut = now - p.readHighlightMs;
    let n = 0;
    for (const roomId of await this.store.roomsWithDefaultsBefore(now - p.readGraceMs)) {
      const rows = (await this.store.defaultsBefore(roomId, now - p.readGraceMs, p.perRoomLimit)).filter(
        (r) => !r.highlight || r.ts < highlightCut,
      );
      if (rows.length === 0) continue;
      const readers = await this.#readers(roomId);
      // Nobody known to count them: leave them to the age rule rather than guess.
      if (readers.length === 0) continue;
      const receipts = (await this.deps.receipts.inRooms([roomId])).filter((r) => r.receiptType === "m.read" || r.receiptType === "m.read.private");
      const gone = readByEveryone(rows, readers, receipts);
      if (gone.length === 0) continue;
      const positions = new Map(rows.map((r) => [r.eventId, r.streamOrdering]));
      n += await this.store.deleteDefaults(gone.map((id) => positions.get(id)!));
    }
    return n;
  }

  /** Local joined members (since their membership event) and members push processing recorded (since their join). */
  async #readers(roomId: string): Promise<DefaultReader[]> {
    const recorded = await this.deps.actions.membersOf(roomId);
    const out = new Map<string, number>(recorded);
    for (const m of await this.deps.rooms.members(roomId, "join")) {
      if (serverNameOf(m.userId) !== this.serverName) continue;
      if (!out.has(m.userId)) out.set(m.userId, Number(m.streamOrdering));
    }
    return [...out].map(([userId, since]) => ({ userId, since }));
  }
}
