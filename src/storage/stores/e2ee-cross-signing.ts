import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../database.ts";

type Json = Record<string, unknown>;

export type CrossSigningKeyType = "master" | "self_signing" | "user_signing";

export interface StoredCrossSigningKey {
  userId: string;
  keyType: CrossSigningKeyType;
  publicKey: string;
  key: Json;
  replaceableWithoutUiaUntilTs: number | null;
}

export interface SignatureRow {
  signerUserId: string;
  signerKeyId: string;
  targetUserId: string;
  targetKeyId: string;
  signature: string;
}

/** Cross-signing keys of local users and the signatures uploaded for keys and devices. */
export class E2eeCrossSigningStore {
  constructor(private readonly database: Database) {}

  async keysOf(userIds: string[]): Promise<StoredCrossSigningKey[]> {
    if (userIds.length === 0) return [];
    const { db, tables } = this.database;
    const t = tables.e2eCrossSigningKeys;
    const rows = await db
      .select({
        userId: t.userId,
        keyType: t.keyType,
        publicKey: t.publicKey,
        key: t.keyJson,
        replaceableWithoutUiaUntilTs: t.replaceableWithoutUiaUntilTs,
      })
      .from(t)
      .where(inArray(t.userId, userIds));
    return rows.map((r) => ({ ...r, keyType: r.keyType as CrossSigningKeyType }));
  }

  async key(userId: string, keyType: CrossSigningKeyType): Promise<StoredCrossSigningKey | undefined> {
    return (await this.keysOf([userId])).find((k) => k.keyType === keyType);
  }

  /** Stores the keys of one upload together; replacing a master key ends any UIA-free reset window. */
  async setKeys(
    userId: string,
    keys: Array<{ keyType: CrossSigningKeyType; publicKey: string; key: Json }>,
    nowMs: number,
  ): Promise<void> {
    const t = this.database.tables.e2eCrossSigningKeys;
    await this.database.transaction("set_e2e_cross_signing_keys", async (tx) => {
      for (const k of keys) {
        const row = { publicKey: k.publicKey, keyJson: k.key, updatedTs: nowMs, replaceableWithoutUiaUntilTs: null };
        await tx
          .insert(t)
          .values({ userId, keyType: k.keyType, ...row })
          .onConflictDoUpdate({ target: [t.userId, t.keyType], set: row });
      }
    });
  }

  /** Lets the master key be replaced without UIA until `untilTs`; false when the user has none. */
  async allowReplacementWithoutUia(userId: string, untilTs: number): Promise<boolean> {
    const t = this.database.tables.e2eCrossSigningKeys;
    return this.database.transaction("allow_cross_signing_replacement", async (tx) => {
      const rows = await tx
        .update(t)
        .set({ replaceableWithoutUiaUntilTs: untilTs })
        .where(and(eq(t.userId, userId), eq(t.keyType, "master")))
        .returning({ userId: t.userId });
      return rows.length > 0;
    });
  }

  /** Signatures on the given targets (`targetKeyId`: a device id or a master public key). */
  async signaturesOn(targetUserIds: string[]): Promise<SignatureRow[]> {
    if (targetUserIds.length === 0) return [];
    const { db, tables } = this.database;
    const t = tables.e2eCrossSigningSignatures;
    return db.select().from(t).where(inArray(t.targetUserId, targetUserIds));
  }

  async addSignatures(rows: SignatureRow[]): Promise<void> {
    if (rows.length === 0) return;
    const t = this.database.tables.e2eCrossSigningSignatures;
    await this.database.transaction("add_e2e_cross_signing_signatures", async (tx) => {
      for (const r of rows) {
        await tx
          .insert(t)
          .values(r)
          .onConflictDoUpdate({
            target: [t.targetUserId, t.targetKeyId, t.signerUserId, t.signerKeyId],
            set: { signature: r.signature },
          });
      }
    });
  }

  /** Drops signatures on a device (device deletion). */
  async deleteSignaturesOnDevice(userId: string, deviceId: string): Promise<void> {
    const t = this.database.tables.e2eCrossSigningSignatures;
    await this.database.transaction("delete_device_signatures", (tx) =>
      tx.delete(t).where(and(eq(t.targetUserId, userId), eq(t.targetKeyId, deviceId))),
    );
  }
}
