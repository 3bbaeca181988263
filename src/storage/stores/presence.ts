import { gt, inArray } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { StreamPositionsStore } from "./stream-positions.ts";
import { SqlExec } from "./sql-exec.ts";

export type PresenceState = "online" | "unavailable" | "offline";

export interface PresenceRow {
  userId: string;
  state: PresenceState;
  statusMsg: string | null;
  lastActiveTs: number;
  lastSyncTs: number;
  currentlyActive: boolean;
  streamId: number;
}

export type NewPresence = Omit<PresenceRow, "streamId">;

export const PRESENCE_STREAM = "presence";
const CHUNK = 500;

/** Each user's last presence, with its position on the presence stream. */
export class PresenceStore {
  readonly #sql: SqlExec;

  constructor(
    private readonly database: Database,
    private readonly positions: StreamPositionsStore,
  ) {
    this.#sql = new SqlExec(database);
  }

  async getMany(userIds: readonly string[]): Promise<PresenceRow[]> {
    if (userIds.length === 1) return this.#getOne(userIds[0]!);
    const { db, tables } = this.database;
    const t = tables.presence;
    const out: PresenceRow[] = [];
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const rows = await db.select().from(t).where(inArray(t.userId, userIds.slice(i, i + CHUNK)));
      for (const r of rows) out.push(normalise(r));
    }
    return out;
  }

  /** Every message sent looks up its sender's presence: plain SQL (see SqlExec). */
  async #getOne(userId: string): Promise<PresenceRow[]> {
    const rows = await this.#sql.rows(
      this.database.db,
      `SELECT user_id AS "userId", state AS "state", status_msg AS "statusMsg", last_active_ts AS "lastActiveTs",
         last_sync_ts AS "lastSyncTs", currently_active AS "currentlyActive", stream_id AS "streamId"
       FROM presence WHERE user_id = ?`,
      [userId],
    );
    return rows.map((r) => normalise(r as { [K in keyof PresenceRow]: unknown }));
  }

  /** Writes a user's presence and returns the row with its new stream position. */
  async put(p: NewPresence): Promise<PresenceRow> {
    const t = this.database.tables.presence;
    return this.database.transaction("update_presence", async (tx) => {
      const streamId = await this.positions.next(tx, PRESENCE_STREAM);
      const row = { ...p, streamId };
      const { userId: _u, ...set } = row;
      await tx.insert(t).values(row).onConflictDoUpdate({ target: t.userId, set });
      return row;
    });
  }

  /** Presence rows changed after `since`, oldest first. */
  async changedSince(since: number, limit = 10_000): Promise<PresenceRow[]> {
    const { db, tables } = this.database;
    const t = tables.presence;
    const rows = await db.select().from(t).where(gt(t.streamId, since)).orderBy(t.streamId).limit(limit);
    return rows.map(normalise);
  }
}

function normalise(r: { [K in keyof PresenceRow]: unknown }): PresenceRow {
  return {
    userId: r.userId as string,
    state: r.state as PresenceState,
    statusMsg: (r.statusMsg as string | null) ?? null,
    lastActiveTs: Number(r.lastActiveTs),
    lastSyncTs: Number(r.lastSyncTs),
    currentlyActive: Boolean(r.currentlyActive),
    streamId: Number(r.streamId),
  };
}
