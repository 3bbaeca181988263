import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../database.ts";
import { canonicalJson } from "../../matrix/canonical-json.ts";

type Json = Record<string, unknown>;

export interface StoredDeviceKeys {
  userId: string;
  deviceId: string;
  keys: Json;
  displayName: string | null;
}

export interface KeyToStore {
  algorithm: string;
  keyId: string;
  key: unknown;
}

export interface ClaimedKey {
  algorithm: string;
  keyId: string;
  key: unknown;
}

/** Device identity keys, one-time keys and fallback keys of local devices. */
export class E2eeDeviceKeysStore {
  constructor(private readonly database: Database) {}

  /**
   * Device keys of existing devices of `userIds` (keys of a device that no longer
   * exists are never returned), with each device's display name.
   */
  async deviceKeysOf(userIds: string[]): Promise<StoredDeviceKeys[]> {
    if (userIds.length === 0) return [];
    const { db, tables } = this.database;
    const k = tables.e2eDeviceKeys;
    const d = tables.devices;
    const rows = await db
      .select({ userId: k.userId, deviceId: k.deviceId, keys: k.keyJson, displayName: d.displayName })
      .from(k)
      .innerJoin(d, and(eq(d.userId, k.userId), eq(d.deviceId, k.deviceId)))
      .where(inArray(k.userId, userIds));
    return rows;
  }

  async deviceKeys(userId: string, deviceId: string): Promise<Json | undefined> {
    const { db, tables } = this.database;
    const k = tables.e2eDeviceKeys;
    const rows = await db
      .select({ keys: k.keyJson })
      .from(k)
      .where(and(eq(k.userId, userId), eq(k.deviceId, deviceId)))
      .limit(1);
    return rows[0]?.keys;
  }

  /** Stores the device's keys; false (and nothing written) when they equal the stored ones. */
  async setDeviceKeys(userId: string, deviceId: string, keys: Json, nowMs: number): Promise<boolean> {
    const k = this.database.tables.e2eDeviceKeys;
    return this.database.transaction("set_e2e_device_keys", async (tx) => {
      const rows = await tx
        .select({ keys: k.keyJson })
        .from(k)
        .where(and(eq(k.userId, userId), eq(k.deviceId, deviceId)))
        .limit(1);
      if (rows[0] && canonicalJson(rows[0].keys) === canonicalJson(keys)) return false;
      await tx
        .insert(k)
        .values({ userId, deviceId, keyJson: keys, updatedTs: nowMs })
        .onConflictDoUpdate({ target: [k.userId, k.deviceId], set: { keyJson: keys, updatedTs: nowMs } });
      return true;
    });
  }

  /** Stored one-time keys of the device among `keyIds` ("<algorithm>:<id>" → key). */
  async oneTimeKeysById(userId: string, deviceId: string, keyIds: string[]): Promise<Map<string, unknown>> {
    if (keyIds.length === 0) return new Map();
    const { db, tables } = this.database;
    const o = tables.e2eOneTimeKeys;
    const ids = [...new Set(keyIds.map((k) => k.slice(k.indexOf(":") + 1)))];
    const rows = await db
      .select({ algorithm: o.algorithm, keyId: o.keyId, key: o.keyJson })
      .from(o)
      .where(and(eq(o.userId, userId), eq(o.deviceId, deviceId), inArray(o.keyId, ids)));
    return new Map(rows.map((r) => [`${r.algorithm}:${r.keyId}`, r.key]));
  }

  /** Inserts one-time keys; a key id already present is left as it is. */
  async addOneTimeKeys(userId: string, deviceId: string, keys: KeyToStore[], nowMs: number): Promise<void> {
    if (keys.length === 0) return;
    const o = this.database.tables.e2eOneTimeKeys;
    await this.database.transaction("add_e2e_one_time_keys", async (tx) => {
      // Batches keep each statement well below the databases' bound-parameter limits.
      for (let i = 0; i < keys.length; i += 500) {
        await tx
          .insert(o)
          .values(
            keys.slice(i, i + 500).map((k) => ({
              userId,
              deviceId,
              algorithm: k.algorithm,
              keyId: k.keyId,
              keyJson: k.key,
              createdTs: nowMs,
            })),
          )
          .onConflictDoNothing();
      }
    });
  }

  /** Unclaimed one-time keys of the device per algorithm. */
  async countOneTimeKeys(userId: string, deviceId: string): Promise<Record<string, number>> {
    const { db, tables } = this.database;
    const o = tables.e2eOneTimeKeys;
    const rows = await db
      .select({ algorithm: o.algorithm, n: sql<number>`count(*)` })
      .from(o)
      .where(and(eq(o.userId, userId), eq(o.deviceId, deviceId)))
      .groupBy(o.algorithm);
    return Object.fromEntries(rows.map((r) => [r.algorithm, Number(r.n)]));
  }

  /**
   * Claims the oldest one-time key of the device for `algorithm`, else its fallback key
   * (marked used). Each one-time key is returned at most once, also under concurrent
   * claims: the row is deleted with RETURNING, and a claim that loses the race for a row
   * (on PostgreSQL the DELETE then finds it gone) moves on to the next one.
   */
  async claimKeys(
    wanted: Array<{ userId: string; deviceId: string; algorithm: string }>,
  ): Promise<Array<{ userId: string; deviceId: string; claimed: ClaimedKey | null }>> {
    if (wanted.length === 0) return [];
    const { tables } = this.database;
    const o = tables.e2eOneTimeKeys;
    const f = tables.e2eFallbackKeys;
    // A fixed order keeps concurrent claims from locking rows in opposite orders.
    const sorted = [...wanted].sort((a, b) =>
      a.userId === b.userId ? (a.deviceId === b.deviceId ? cmp(a.algorithm, b.algorithm) : cmp(a.deviceId, b.deviceId)) : cmp(a.userId, b.userId),
    );
    return this.database.transaction("claim_e2e_keys", async (tx) => {
      const out: Array<{ userId: string; deviceId: string; claimed: ClaimedKey | null }> = [];
      for (const w of sorted) {
        let claimed: ClaimedKey | null = null;
        for (let attempt = 0; attempt < 10 && !claimed; attempt++) {
          const candidate = await tx
            .select({ id: o.id })
            .from(o)
            .where(and(eq(o.userId, w.userId), eq(o.deviceId, w.deviceId), eq(o.algorithm, w.algorithm)))
            .orderBy(asc(o.id))
            .limit(1);
          if (!candidate[0]) break;
          const deleted = await tx
            .delete(o)
            .where(eq(o.id, candidate[0].id))
            .returning({ keyId: o.keyId, key: o.keyJson });
          if (deleted[0]) claimed = { algorithm: w.algorithm, keyId: deleted[0].keyId, key: deleted[0].key };
        }
        if (!claimed) {
          const fb = await tx
            .update(f)
            .set({ used: true })
            .where(and(eq(f.userId, w.userId), eq(f.deviceId, w.deviceId), eq(f.algorithm, w.algorithm)))
            .returning({ keyId: f.keyId, key: f.keyJson });
          if (fb[0]) claimed = { algorithm: w.algorithm, keyId: fb[0].keyId, key: fb[0].key };
        }
        out.push({ userId: w.userId, deviceId: w.deviceId, claimed });
      }
      return out;
    });
  }

  /**
   * Replaces the device's fallback key of each given algorithm. Re-uploading the stored
   * key unchanged keeps its `used` flag, so a retried upload does not hide that it was used.
   */
  async setFallbackKeys(userId: string, deviceId: string, keys: KeyToStore[]): Promise<void> {
    if (keys.length === 0) return;
    const f = this.database.tables.e2eFallbackKeys;
    await this.database.transaction("set_e2e_fallback_keys", async (tx) => {
      for (const k of keys) {
        const existing = await tx
          .select({ keyId: f.keyId, key: f.keyJson })
          .from(f)
          .where(and(eq(f.userId, userId), eq(f.deviceId, deviceId), eq(f.algorithm, k.algorithm)))
          .limit(1);
        const same = existing[0] && existing[0].keyId === k.keyId && canonicalJson(existing[0].key) === canonicalJson(k.key);
        if (same) continue;
        await tx
          .insert(f)
          .values({ userId, deviceId, algorithm: k.algorithm, keyId: k.keyId, keyJson: k.key, used: false })
          .onConflictDoUpdate({
            target: [f.userId, f.deviceId, f.algorithm],
            set: { keyId: k.keyId, keyJson: k.key, used: false },
          });
      }
    });
  }

  /** Algorithms for which the device has a fallback key that no claim has handed out yet. */
  async unusedFallbackKeyTypes(userId: string, deviceId: string): Promise<string[]> {
    const { db, tables } = this.database;
    const f = tables.e2eFallbackKeys;
    const rows = await db
      .select({ algorithm: f.algorithm })
      .from(f)
      .where(and(eq(f.userId, userId), eq(f.deviceId, deviceId), eq(f.used, false)));
    return rows.map((r) => r.algorithm).sort();
  }

  /** Forgets every key of the device (device deletion). */
  async deleteForDevice(userId: string, deviceId: string): Promise<void> {
    const { tables } = this.database;
    await this.database.transaction("delete_e2e_keys_for_device", async (tx) => {
      for (const t of [tables.e2eDeviceKeys, tables.e2eOneTimeKeys, tables.e2eFallbackKeys]) {
        await tx.delete(t).where(and(eq(t.userId, userId), eq(t.deviceId, deviceId)));
      }
    });
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
