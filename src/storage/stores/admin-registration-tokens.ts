import { asc, eq } from "drizzle-orm";
import type { Database } from "../database.ts";
import { registrationTokenUsable, type RegistrationTokenRow } from "./registration-tokens.ts";

/** Listing, editing and deleting registration tokens (admin API); creation and use are in registration-tokens.ts. */
export class AdminRegistrationTokensStore {
  constructor(private readonly database: Database) {}

  /** Every token; with `valid`, only the usable (true) or unusable (false) ones at `nowMs`. */
  async list(valid: boolean | undefined, nowMs: number): Promise<RegistrationTokenRow[]> {
    const t = this.database.tables.registrationTokens;
    const rows = await this.database.db.select().from(t).orderBy(asc(t.token));
    return valid === undefined ? rows : rows.filter((r) => registrationTokenUsable(r, nowMs) === valid);
  }

  /** Changes the given fields; undefined when the token does not exist. */
  async update(
    token: string,
    fields: { usesAllowed?: number | null; expiryTime?: number | null },
  ): Promise<RegistrationTokenRow | undefined> {
    const t = this.database.tables.registrationTokens;
    return this.database.transaction("update_registration_token", async (tx) => {
      if (fields.usesAllowed !== undefined || fields.expiryTime !== undefined) {
        await tx.update(t).set(fields).where(eq(t.token, token));
      }
      const rows = await tx.select().from(t).where(eq(t.token, token)).limit(1);
      return rows[0];
    });
  }

  /** Returns false when there was no such token. */
  async delete(token: string): Promise<boolean> {
    const t = this.database.tables.registrationTokens;
    return this.database.transaction("delete_registration_token", async (tx) => {
      const rows = await tx.delete(t).where(eq(t.token, token)).returning({ token: t.token });
      return rows.length > 0;
    });
  }
}
