import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../database.ts";
import { TOKEN_TABLES } from "./access-tokens.ts";

type Schema = typeof import("../schema/accounts.ts");
export type RefreshTokenRow = Schema["refreshTokens"]["$inferSelect"];

export interface RefreshTokenLookup extends RefreshTokenRow {
  /** The successor has itself been refreshed. */
  nextRefreshed: boolean;
  /** An access token issued with the successor has been used. */
  nextAccessUsed: boolean;
}

export class RefreshTokensStore {
  constructor(private readonly database: Database) {}

  async insert(row: Schema["refreshTokens"]["$inferInsert"]): Promise<void> {
    const t = this.database.tables.refreshTokens;
    await this.database.transaction("add_refresh_token", (tx) => tx.insert(t).values(row));
  }

  async lookup(tokenHash: string): Promise<RefreshTokenLookup | undefined> {
    const { db, tables } = this.database;
    const r = tables.refreshTokens;
    const rows = await db.select().from(r).where(eq(r.tokenHash, tokenHash)).limit(1);
    const row = rows[0];
    if (!row) return undefined;
    if (!row.nextTokenHash) return { ...row, nextRefreshed: false, nextAccessUsed: false };
    const next = await db.select({ next: r.nextTokenHash }).from(r).where(eq(r.tokenHash, row.nextTokenHash)).limit(1);
    const a = tables.accessTokens;
    const used = await db
      .select({ used: a.used })
      .from(a)
      .where(and(eq(a.refreshTokenHash, row.nextTokenHash), eq(a.used, true)))
      .limit(1);
    return { ...row, nextRefreshed: Boolean(next[0]?.next), nextAccessUsed: used.length > 0 };
  }

  /**
   * Stores the successor of `oldHash` with its access token, in one transaction.
   * Only the last two refresh tokens of a chain are kept: the predecessor of
   * `oldHash` and a previous, unused successor go, with their access tokens.
   */
  async rotate(
    oldHash: string,
    next: Schema["refreshTokens"]["$inferInsert"],
    access: Schema["accessTokens"]["$inferInsert"],
  ): Promise<void> {
    const { refreshTokens: r, accessTokens: a } = this.database.tables;
    // Deletes and inserts access tokens: the token cache must hear of it.
    await this.database.generations.around(TOKEN_TABLES, () => this.database.transaction("replace_refresh_token", async (tx) => {
      const old = await tx.select({ next: r.nextTokenHash }).from(r).where(eq(r.tokenHash, oldHash)).limit(1);
      const stale = (await tx.select({ hash: r.tokenHash }).from(r).where(eq(r.nextTokenHash, oldHash))).map((row) => row.hash);
      if (old[0]?.next) stale.push(old[0].next);
      if (stale.length > 0) {
        await tx.delete(a).where(inArray(a.refreshTokenHash, stale));
        await tx.delete(r).where(inArray(r.tokenHash, stale));
      }
      await tx.insert(r).values(next);
      await tx.insert(a).values(access);
      await tx.update(r).set({ nextTokenHash: next.tokenHash }).where(eq(r.tokenHash, oldHash));
    }));
  }
}
