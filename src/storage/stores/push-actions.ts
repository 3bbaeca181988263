import { and, desc, eq, gt, lt, or, sql, type SQL } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { PushAction } from "../../push/types.ts";

export interface PushActionRow {
  userId: string;
  eventId: string;
  roomId: string;
  streamOrdering: number;
  threadId: string;
  notif: boolean;
  highlight: boolean;
  actions: PushAction[];
  ts: number;
}

export interface UnreadCount {
  notifications: number;
  highlights: number;
}

const CHUNK = 400;
const ROOMS_PER_QUERY = 200;

/** Push rule outcomes that notify or highlight, per recipient: unread counts and GET /notifications. */
export class PushActionsStore {
  constructor(private readonly database: Database) {}

  async insert(rows: readonly PushActionRow[]): Promise<void> {
    if (rows.length === 0) return;
    const t = this.database.tables.eventPushActions;
    await this.database.transaction("add_push_actions", async (tx) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await tx.insert(t).values(rows.slice(i, i + CHUNK)).onConflictDoNothing();
      }
    });
  }

  /**
   * Counts per (room, thread) of actions after a per-room position (the user's
   * unthreaded read receipt; 0 when none).
   */
  async countsAfter(userId: string, after: ReadonlyMap<string, number>): Promise<Map<string, Map<string, UnreadCount>>> {
    const t = this.database.tables.eventPushActions;
    const out = new Map<string, Map<string, UnreadCount>>();
    const rooms = [...after];
    for (let i = 0; i < rooms.length; i += ROOMS_PER_QUERY) {
      const conds = rooms.slice(i, i + ROOMS_PER_QUERY).map(([roomId, pos]) => and(eq(t.roomId, roomId), gt(t.streamOrdering, pos))!);
      const rows = await this.database.db
        .select({
          roomId: t.roomId,
          threadId: t.threadId,
          n: sql<number>`sum(CASE WHEN ${t.notif} THEN 1 ELSE 0 END)`,
          h: sql<number>`sum(CASE WHEN ${t.highlight} THEN 1 ELSE 0 END)`,
        })
        .from(t)
        .where(and(eq(t.userId, userId), or(...conds)))
        .groupBy(t.roomId, t.threadId);
      for (const r of rows) {
        let byThread = out.get(r.roomId);
        if (!byThread) out.set(r.roomId, (byThread = new Map()));
        byThread.set(r.threadId, { notifications: Number(r.n ?? 0), highlights: Number(r.h ?? 0) });
      }
    }
    return out;
  }

  /** Counts in one thread of a room after `after`. */
  async threadCountAfter(userId: string, roomId: string, threadId: string, after: number): Promise<UnreadCount> {
    const t = this.database.tables.eventPushActions;
    const rows = await this.database.db
      .select({
        n: sql<number>`sum(CASE WHEN ${t.notif} THEN 1 ELSE 0 END)`,
        h: sql<number>`sum(CASE WHEN ${t.highlight} THEN 1 ELSE 0 END)`,
      })
      .from(t)
      .where(and(eq(t.userId, userId), eq(t.roomId, roomId), eq(t.threadId, threadId), gt(t.streamOrdering, after)));
    return { notifications: Number(rows[0]?.n ?? 0), highlights: Number(rows[0]?.h ?? 0) };
  }

  /** A page of a user's notifications, newest first, before stream position `before`. */
  async page(userId: string, opts: { before?: number; limit: number; onlyHighlight?: boolean }): Promise<PushActionRow[]> {
    const t = this.database.tables.eventPushActions;
    const conds: SQL[] = [eq(t.userId, userId)];
    if (opts.before !== undefined) conds.push(lt(t.streamOrdering, opts.before));
    if (opts.onlyHighlight) conds.push(eq(t.highlight, true));
    const rows = await this.database.db
      .select()
      .from(t)
      .where(and(...conds))
      .orderBy(desc(t.streamOrdering))
      .limit(opts.limit);
    return rows.map((r) => ({ ...r, streamOrdering: Number(r.streamOrdering), ts: Number(r.ts) }));
  }
}
