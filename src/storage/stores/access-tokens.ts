import { and, eq, ne } from "drizzle-orm";
import type { Database } from "../database.ts";

export type AccessTokenRow = typeof import("../schema/accounts.ts").accessTokens.$inferSelect;

/**
 * The tables a token lookup reads. Every store writing them runs the write inside
 * `database.generations.around(TOKEN_TABLES, ...)`, which is what lets the token cache
 * (src/auth/token-cache.ts) drop rows the moment a token is revoked or a user changes.
 */
export const TOKEN_TABLES = ["access_tokens", "users"] as const;

export class AccessTokensStore {
  constructor(private readonly database: Database) {}

  /** Moves whenever a write to TOKEN_TABLES starts or settles. */
  generation(): number {
    return this.database.generations.sum(TOKEN_TABLES);
  }

  async insert(row: typeof import("../schema/accounts.ts").accessTokens.$inferInsert): Promise<void> {
    const { tables } = this.database;
    await this.#write(() => this.database.transaction("add_access_token", (tx) => tx.insert(tables.accessTokens).values(row)));
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
        refreshTokenHash: t.refreshTokenHash,
        used: t.used,
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

  /** Records the first use of a refreshable token (which retires its predecessor refresh token). */
  async markUsed(tokenHash: string, nowMs: number): Promise<void> {
    const t = this.database.tables.accessTokens;
    await this.#write(() =>
      this.database.transaction("mark_access_token_used", (tx) =>
        tx.update(t).set({ used: true, lastUsedTs: nowMs }).where(eq(t.tokenHash, tokenHash)),
      ),
    );
  }

  async delete(tokenHash: string): Promise<void> {
    const { tables } = this.database;
    await this.#write(() =>
      this.database.transaction("delete_access_token", (tx) =>
        tx.delete(tables.accessTokens).where(eq(tables.accessTokens.tokenHash, tokenHash)),
      ),
    );
  }

  async deleteForDevice(userId: string, deviceId: string): Promise<void> {
    const t = this.database.tables.accessTokens;
    await this.#write(() =>
      this.database.transaction("delete_device_tokens", (tx) =>
        tx.delete(t).where(and(eq(t.userId, userId), eq(t.deviceId, deviceId))),
      ),
    );
  }

  /** Deletes every access and refresh token of the user except `keepTokenHash` (and its refresh token). */
  async deleteForUser(userId: string, keepTokenHash?: string): Promise<void> {
    const { accessTokens: t, refreshTokens: r } = this.database.tables;
    await this.#write(() => this.database.transaction("delete_user_tokens", async (tx) => {
      if (keepTokenHash === undefined) {
        await tx.delete(t).where(eq(t.userId, userId));
        await tx.delete(r).where(eq(r.userId, userId));
        return;
      }
      const kept = await tx.select({ refresh: t.refreshTokenHash }).from(t).where(eq(t.tokenHash, keepTokenHash)).limit(1);
      await tx.delete(t).where(and(eq(t.userId, userId), ne(t.tokenHash, keepTokenHash)));
      const keepRefresh = kept[0]?.refresh;
      await tx.delete(r).where(keepRefresh ? and(eq(r.userId, userId), ne(r.tokenHash, keepRefresh)) : eq(r.userId, userId));
    }));
  }

  #write<T>(write: () => Promise<T>): Promise<T> {
    return this.database.generations.around(TOKEN_TABLES, write);
  }
}
