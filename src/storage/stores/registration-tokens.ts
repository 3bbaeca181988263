import { eq, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

type Schema = typeof import("../schema/accounts.ts");
export type RegistrationTokenRow = Schema["registrationTokens"]["$inferSelect"];

/** A token can be used while it has not expired and pending + completed uses stay under uses_allowed. */
export function registrationTokenUsable(row: RegistrationTokenRow | undefined, nowMs: number): boolean {
  if (!row) return false;
  if (row.expiryTime !== null && row.expiryTime < nowMs) return false;
  if (row.usesAllowed !== null && row.pending + row.completed >= row.usesAllowed) return false;
  return true;
}

export class RegistrationTokensStore {
  constructor(private readonly database: Database) {}

  async get(token: string): Promise<RegistrationTokenRow | undefined> {
    const { db, tables } = this.database;
    const rows = await db.select().from(tables.registrationTokens).where(eq(tables.registrationTokens.token, token)).limit(1);
    return rows[0];
  }

  /** Returns false when the token already exists. */
  async create(row: Schema["registrationTokens"]["$inferInsert"]): Promise<boolean> {
    const t = this.database.tables.registrationTokens;
    return this.database.transaction("create_registration_token", async (tx) => {
      const existing = await tx.select({ token: t.token }).from(t).where(eq(t.token, row.token)).limit(1);
      if (existing.length > 0) return false;
      await tx.insert(t).values(row);
      return true;
    });
  }

  /** Checks the token and, when usable, holds one use for a registration in progress. */
  async reserve(token: string, nowMs: number): Promise<boolean> {
    const t = this.database.tables.registrationTokens;
    return this.database.transaction("set_registration_token_pending", async (tx) => {
      const rows = await tx.select().from(t).where(eq(t.token, token)).limit(1);
      if (!registrationTokenUsable(rows[0], nowMs)) return false;
      await tx.update(t).set({ pending: sql`${t.pending} + 1` }).where(eq(t.token, token));
      return true;
    });
  }

  /** Turns a held use into a completed one. */
  async complete(token: string): Promise<void> {
    const t = this.database.tables.registrationTokens;
    await this.database.transaction("use_registration_token", (tx) =>
      tx.update(t).set({ pending: sql`${t.pending} - 1`, completed: sql`${t.completed} + 1` }).where(eq(t.token, token)),
    );
  }
}
