import { eq } from "drizzle-orm";
import type { Database } from "../database.ts";
import { TOKEN_TABLES } from "./access-tokens.ts";

export type UserRow = typeof import("../schema/accounts.ts").users.$inferSelect;
export type NewUser = Omit<typeof import("../schema/accounts.ts").users.$inferInsert, "userIdLower">;

export class UsersStore {
  constructor(private readonly database: Database) {}

  async get(userId: string): Promise<UserRow | undefined> {
    const { db, tables } = this.database;
    const rows = await db.select().from(tables.users).where(eq(tables.users.userId, userId)).limit(1);
    return rows[0];
  }

  /** Every user whose id equals `userId` ignoring case (ids imported from Synapse may have capitals). */
  async getCaseInsensitive(userId: string): Promise<UserRow[]> {
    const { db, tables } = this.database;
    return db.select().from(tables.users).where(eq(tables.users.userIdLower, userId.toLowerCase())).limit(10);
  }

  /** Inserts the user; returns false when the id is already taken. */
  async create(user: NewUser): Promise<boolean> {
    const { tables } = this.database;
    return this.#write(() =>
      this.database.transaction("create_user", async (tx) => {
        const existing = await tx.select({ id: tables.users.userId }).from(tables.users).where(eq(tables.users.userId, user.userId)).limit(1);
        if (existing.length > 0) return false;
        await tx.insert(tables.users).values({ ...user, userIdLower: user.userId.toLowerCase() });
        return true;
      }),
    );
  }

  async update(userId: string, fields: Partial<Omit<UserRow, "userId" | "userIdLower">>): Promise<void> {
    const { tables } = this.database;
    await this.#write(() =>
      this.database.transaction("update_user", (tx) => tx.update(tables.users).set(fields).where(eq(tables.users.userId, userId))),
    );
  }

  /** Token lookups join users (deactivated, locked, admin...): the token cache must hear of every write. */
  #write<T>(write: () => Promise<T>): Promise<T> {
    return this.database.generations.around(TOKEN_TABLES, write);
  }
}
