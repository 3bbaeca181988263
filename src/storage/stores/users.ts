import { eq } from "drizzle-orm";
import type { Database } from "../database.ts";

export type UserRow = typeof import("../schema/accounts.ts").users.$inferSelect;
export type NewUser = typeof import("../schema/accounts.ts").users.$inferInsert;

export class UsersStore {
  constructor(private readonly database: Database) {}

  async get(userId: string): Promise<UserRow | undefined> {
    const { db, tables } = this.database;
    const rows = await db.select().from(tables.users).where(eq(tables.users.userId, userId)).limit(1);
    return rows[0];
  }

  /** Inserts the user; returns false when the id is already taken. */
  async create(user: NewUser): Promise<boolean> {
    const { tables } = this.database;
    return this.database.transaction("create_user", async (tx) => {
      const existing = await tx.select({ id: tables.users.userId }).from(tables.users).where(eq(tables.users.userId, user.userId)).limit(1);
      if (existing.length > 0) return false;
      await tx.insert(tables.users).values(user);
      return true;
    });
  }

  async update(userId: string, fields: Partial<Omit<UserRow, "userId">>): Promise<void> {
    const { tables } = this.database;
    await this.database.transaction("update_user", (tx) =>
      tx.update(tables.users).set(fields).where(eq(tables.users.userId, userId)),
    );
  }
}
