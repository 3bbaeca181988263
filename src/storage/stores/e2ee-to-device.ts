import { and, asc, eq, gt, lt, lte } from "drizzle-orm";
import type { Database } from "../database.ts";
import { advanceStream, currentStreamPosition, lockStream } from "./e2ee-streams.ts";

type Json = Record<string, unknown>;

export interface ToDeviceDelivery {
  userId: string;
  deviceId: string;
  message: Json;
}

/** The to-device inbox and the transaction ids of sends already applied. */
export class E2eeToDeviceStore {
  constructor(private readonly database: Database) {}

  /**
   * Records the transaction and queues the messages, in one transaction. Returns the
   * new stream position, or null when the transaction id was already used (nothing queued).
   */
  async send(
    txn: { userId: string; scope: string; txnId: string } | null,
    deliveries: ToDeviceDelivery[],
    nowMs: number,
  ): Promise<number | null> {
    const { tables } = this.database;
    const inbox = tables.e2eToDeviceInbox;
    const txns = tables.e2eToDeviceTxns;
    return this.database.transaction("add_to_device_messages", async (tx) => {
      if (txn) {
        const inserted = await tx
          .insert(txns)
          .values({ ...txn, createdTs: nowMs })
          .onConflictDoNothing()
          .returning({ txnId: txns.txnId });
        if (inserted.length === 0) return null;
      }
      if (deliveries.length === 0) return currentStreamPosition(this.database, "to_device");
      await lockStream(this.database, tx, "to_device");
      let position = 0;
      for (let i = 0; i < deliveries.length; i += 500) {
        const rows = await tx
          .insert(inbox)
          .values(
            deliveries.slice(i, i + 500).map((d) => ({
              userId: d.userId,
              deviceId: d.deviceId,
              messageJson: d.message,
              createdTs: nowMs,
            })),
          )
          .returning({ streamId: inbox.streamId });
        for (const r of rows) position = Math.max(position, Number(r.streamId));
      }
      await advanceStream(this.database, tx, "to_device", position);
      return position;
    });
  }

  currentPosition(): Promise<number> {
    return currentStreamPosition(this.database, "to_device");
  }

  /** Deletes what the device acknowledged: every message at or before `upTo`. */
  async acknowledge(userId: string, deviceId: string, upTo: number): Promise<void> {
    if (upTo <= 0) return;
    const t = this.database.tables.e2eToDeviceInbox;
    await this.database.transaction("delete_acknowledged_to_device", (tx) =>
      tx.delete(t).where(and(eq(t.userId, userId), eq(t.deviceId, deviceId), lte(t.streamId, upTo))),
    );
  }

  /** Messages for the device in (after, upTo], oldest first, at most `limit`. */
  async pending(
    userId: string,
    deviceId: string,
    after: number,
    upTo: number,
    limit: number,
  ): Promise<Array<{ streamId: number; message: Json }>> {
    const { db, tables } = this.database;
    const t = tables.e2eToDeviceInbox;
    const rows = await db
      .select({ streamId: t.streamId, message: t.messageJson })
      .from(t)
      .where(and(eq(t.userId, userId), eq(t.deviceId, deviceId), gt(t.streamId, after), lte(t.streamId, upTo)))
      .orderBy(asc(t.streamId))
      .limit(limit);
    return rows.map((r) => ({ streamId: Number(r.streamId), message: r.message }));
  }

  /** Forgets the device's inbox and send transactions (device deletion). */
  async deleteForDevice(userId: string, deviceId: string): Promise<void> {
    const { tables } = this.database;
    await this.database.transaction("delete_to_device_for_device", async (tx) => {
      const inbox = tables.e2eToDeviceInbox;
      const txns = tables.e2eToDeviceTxns;
      await tx.delete(inbox).where(and(eq(inbox.userId, userId), eq(inbox.deviceId, deviceId)));
      await tx.delete(txns).where(and(eq(txns.userId, userId), eq(txns.scope, `d:${deviceId}`)));
    });
  }

  /** Drops remembered transaction ids older than `beforeTs`. */
  async pruneTxns(beforeTs: number): Promise<void> {
    const t = this.database.tables.e2eToDeviceTxns;
    await this.database.transaction("prune_to_device_txns", (tx) => tx.delete(t).where(lt(t.createdTs, beforeTs)));
  }
}
