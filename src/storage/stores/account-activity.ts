import { and, eq, isNull, notInArray, or, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

/** Where and when a device was last seen making an authenticated request. */
export interface DeviceSeen {
  userId: string;
  deviceId: string;
  ip: string;
  userAgent: string | null;
  ts: number;
}

/** User types that are not "real" users (Synapse's count_real_users). */
const NOT_REAL_USER_TYPES = ["bot", "support"];

/**
 * Bookkeeping about account use that token lookups do not read, so writing it
 * never invalidates the token cache: devices' last-seen columns and access
 * tokens' last UIA validation.
 */
export class AccountActivityStore {
  constructor(private readonly database: Database) {}

  /** Writes a batch of last-seen updates in one transaction; devices that no longer exist are skipped. */
  async updateLastSeen(entries: DeviceSeen[]): Promise<void> {
    if (entries.length === 0) return;
    const d = this.database.tables.devices;
    await this.database.transaction("update_client_ips", async (tx) => {
      for (const e of entries) {
        await tx
          .update(d)
          .set({ lastSeenTs: e.ts, lastSeenIp: e.ip, lastSeenUserAgent: e.userAgent })
          .where(and(eq(d.userId, e.userId), eq(d.deviceId, e.deviceId)));
      }
    });
  }

  /** When the token last passed UIA (its creation time if never); undefined for an unknown token. */
  async lastValidated(tokenHash: string): Promise<number | undefined> {
    const t = this.database.tables.accessTokens;
    const rows = await this.database.db
      .select({ validated: t.lastValidatedTs, created: t.createdTs })
      .from(t)
      .where(eq(t.tokenHash, tokenHash))
      .limit(1);
    const row = rows[0];
    return row ? (row.validated ?? row.created) : undefined;
  }

  async setLastValidated(tokenHash: string, nowMs: number): Promise<void> {
    const t = this.database.tables.accessTokens;
    await this.database.transaction("update_access_token_last_validated", (tx) =>
      tx.update(t).set({ lastValidatedTs: nowMs }).where(eq(t.tokenHash, tokenHash)),
    );
  }

  /** Users that are not bots or support users (guests and deactivated users count, as in Synapse). */
  async countRealUsers(): Promise<number> {
    const u = this.database.tables.users;
    const rows = await this.database.db
      .select({ n: sql<number | string>`count(*)` })
      .from(u)
      .where(or(isNull(u.userType), notInArray(u.userType, NOT_REAL_USER_TYPES)));
    return Number(rows[0]?.n ?? 0);
  }
}
