import { and, eq } from "drizzle-orm";
import type { Database } from "../database.ts";

/** Custom profile fields; displayname and avatar_url live on the users row. */
export class ProfileFieldsStore {
  constructor(private readonly database: Database) {}

  async list(userId: string): Promise<Record<string, unknown>> {
    const { db, tables } = this.database;
    const t = tables.profileFields;
    const rows = await db.select({ key: t.key, value: t.value }).from(t).where(eq(t.userId, userId));
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  async set(userId: string, key: string, value: unknown): Promise<void> {
    const t = this.database.tables.profileFields;
    await this.database.transaction("set_profile_field", async (tx) => {
      await tx.delete(t).where(and(eq(t.userId, userId), eq(t.key, key)));
      await tx.insert(t).values({ userId, key, value });
    });
  }

  async delete(userId: string, key: string): Promise<void> {
    const t = this.database.tables.profileFields;
    await this.database.transaction("delete_profile_field", (tx) => tx.delete(t).where(and(eq(t.userId, userId), eq(t.key, key))));
  }

  async deleteAll(userId: string): Promise<void> {
    const t = this.database.tables.profileFields;
    await this.database.transaction("delete_profile_fields", (tx) => tx.delete(t).where(eq(t.userId, userId)));
  }
}
