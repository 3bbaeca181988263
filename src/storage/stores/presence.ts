import { gt, inArray } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { StreamPositionsStore } from "./stream-positions.ts";

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
  constructor(
    private readonly database: Database,
    private readonly positions: StreamPositionsStore,
  ) {}

  async getMany(userIds: readonly string[]): Promise<PresenceRow[]> {
    const { db, tables } = this.database;
    const t = tables.presence;
    const out: PresenceRow[] = [];
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const rows = await db.select().from(t).where(inArray(t.userId, userIds.slice(i, i + CHUNK)));
      for (const r of rows) out.push(normalise(r));
    }
    return out;
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
