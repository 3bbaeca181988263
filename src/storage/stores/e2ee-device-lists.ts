import { and, eq, gt, isNull, lte, or } from "drizzle-orm";
import type { Database } from "../database.ts";
import { advanceStream, currentStreamPosition, lockStream } from "./e2ee-streams.ts";

export interface DeviceListChange {
  /** Whose devices or cross-signing keys changed. */
  userId: string;
  /** Only this user is told about the change; null for everyone who shares a room. */
  visibleTo: string | null;
}

/** The device-list change stream: who changed keys, at which position. */
export class E2eeDeviceListsStore {
  constructor(private readonly database: Database) {}

  /** Appends changes (joining the caller's transaction); returns the new position. */
  async append(changes: DeviceListChange[], nowMs: number): Promise<number> {
    if (changes.length === 0) return this.currentPosition();
    const t = this.database.tables.e2eDeviceListStream;
    return this.database.transaction("add_device_list_changes", async (tx) => {
      await lockStream(this.database, tx, "device_lists");
      const rows = await tx
        .insert(t)
        .values(changes.map((c) => ({ userId: c.userId, visibleTo: c.visibleTo, createdTs: nowMs })))
        .returning({ streamId: t.streamId });
      const position = Math.max(...rows.map((r) => Number(r.streamId)));
      await advanceStream(this.database, tx, "device_lists", position);
      return position;
    });
  }

  currentPosition(): Promise<number> {
    return currentStreamPosition(this.database, "device_lists");
  }

  /**
   * Changes in (since, upTo] that `viewer` may be told about: each changed user once,
   * `private` when every such change was only for the viewer's eyes.
   */
  async changedBetween(viewer: string, since: number, upTo: number): Promise<Array<{ userId: string; private: boolean }>> {
    if (upTo <= since) return [];
    const t = this.database.tables.e2eDeviceListStream;
    const rows = await this.database.db
      .selectDistinct({ userId: t.userId, visibleTo: t.visibleTo })
      .from(t)
      .where(
        and(gt(t.streamId, since), lte(t.streamId, upTo), or(isNull(t.visibleTo), eq(t.visibleTo, viewer))),
      );
    const out = new Map<string, boolean>();
    for (const r of rows) out.set(r.userId, (out.get(r.userId) ?? true) && r.visibleTo !== null);
    return [...out].map(([userId, priv]) => ({ userId, private: priv }));
  }
}
