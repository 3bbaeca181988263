import { and, eq } from "drizzle-orm";
import type { Database } from "../database.ts";

export type AccessTokenRow = typeof import("../schema/accounts.ts").accessTokens.$inferSelect;

export class AccessTokensStore {
  constructor(private readonly database: Database) {}

  async insert(row: typeof import("../schema/accounts.ts").accessTokens.$inferInsert): Promise<void> {
    const { tables } = this.database;
    await this.database.transaction("add_access_token", (tx) => tx.insert(tables.accessTokens).values(row));
  }

  /** The token row joined with its user's flags. */
  async lookup(tokenHash: string) {
    const { db, tables } = this.database;
    const t = tables.accessTokens;
    const u = tables.users;
    const rows = await db
      .select({
        tokenHash: t.tokenHash,
        userId: t.userId,
        deviceId: t.deviceId,
        validUntilTs: t.validUntilTs,
        puppetsUserId: t.puppetsUserId,
        isGuest: u.isGuest,
        admin: u.admin,
        deactivated: u.deactivated,
        locked: u.locked,
      })
      .from(t)
      .innerJoin(u, eq(u.userId, t.userId))
      .where(eq(t.tokenHash, tokenHash))
      .limit(1);
    return rows[0];
  }

  async delete(tokenHash: string): Promise<void> {
    const { tables } = this.database;
    await this.database.transaction("delete_access_token", (tx) =>
      tx.delete(tables.accessTokens).where(eq(tables.accessTokens.tokenHash, tokenHash)),
    );
  }

  async deleteForDevice(userId: string, deviceId: string): Promise<void> {
    const t = this.database.tables.accessTokens;
    await this.database.transaction("delete_device_tokens", (tx) =>
      tx.delete(t).where(and(eq(t.userId, userId), eq(t.deviceId, deviceId))),
    );
  }
}
