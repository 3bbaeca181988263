import { and, asc, desc, eq, inArray, isNotNull, isNull, not, or, sql, type SQL } from "drizzle-orm";
import type { Database } from "../database.ts";

export const USER_ORDERS = [
  "name",
  "displayname",
  "is_guest",
  "admin",
  "deactivated",
  "user_type",
  "avatar_url",
  "shadow_banned",
  "creation_ts",
  "last_seen_ts",
  "locked",
] as const;
export type UserOrder = (typeof USER_ORDERS)[number];

export interface UserListQuery {
  from: number;
  limit: number;
  /** Substring of the user id (ignored when `name` is given). */
  userId?: string;
  /** Substring of the localpart or of the display name, case-insensitive. */
  name?: string;
  guests: boolean;
  /** null = both; true = only deactivated; false = only active. */
  deactivated: boolean | null;
  admins: boolean | null;
  /** Whether locked users are included. */
  locked: boolean;
  /** User types to leave out; "" stands for users without a type. */
  notUserTypes: string[];
  orderBy: UserOrder;
  dir: "f" | "b";
}

export interface UserListRow {
  name: string;
  userType: string | null;
  isGuest: boolean;
  admin: boolean;
  deactivated: boolean;
  shadowBanned: boolean;
  displayname: string | null;
  avatarUrl: string | null;
  createdTs: number;
  erased: boolean;
  lastSeenTs: number | null;
  locked: boolean;
}

/** `%` and `_` in user input match themselves. */
function likeLiteral(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** The admin API's reads and writes of accounts that the accounts stores do not cover. */
export class AdminUsersStore {
  constructor(private readonly database: Database) {}

  async list(q: UserListQuery): Promise<{ rows: UserListRow[]; total: number }> {
    const { db, tables } = this.database;
    const u = tables.users;
    const d = tables.devices;
    const eu = tables.erasedUsers;
    const seen = db
      .select({ userId: d.userId, lastSeenTs: sql<number | null>`max(${d.lastSeenTs})`.as("last_seen_ts") })
      .from(d)
      .groupBy(d.userId)
      .as("lsd");
    const conds: SQL[] = [];
    if (q.name) {
      const needle = likeLiteral(q.name.toLowerCase());
      conds.push(
        or(
          sql`${u.userIdLower} LIKE ${`@%${needle}%:%`} ESCAPE '\\'`,
          sql`lower(${u.displayname}) LIKE ${`%${needle}%`} ESCAPE '\\'`,
        )!,
      );
    } else if (q.userId) {
      conds.push(sql`${u.userIdLower} LIKE ${`%${likeLiteral(q.userId.toLowerCase())}%`} ESCAPE '\\'`);
    }
    if (!q.guests) conds.push(eq(u.isGuest, false));
    if (q.deactivated !== null) conds.push(eq(u.deactivated, q.deactivated));
    if (!q.locked) conds.push(eq(u.locked, false));
    if (q.admins !== null) conds.push(eq(u.admin, q.admins));
    const types = q.notUserTypes.filter((t) => t !== "");
    const excludeUntyped = q.notUserTypes.includes("");
    if (excludeUntyped) conds.push(isNotNull(u.userType));
    if (types.length > 0) {
      conds.push(excludeUntyped ? not(inArray(u.userType, types)) : or(isNull(u.userType), not(inArray(u.userType, types)))!);
    }
    const where = conds.length > 0 ? and(...conds) : undefined;

    const countRows = await db.select({ n: sql<number>`count(*)` }).from(u).where(where);
    const column: Record<UserOrder, SQL | typeof u.userId> = {
      name: u.userId,
      displayname: sql`${u.displayname}`,
      is_guest: sql`${u.isGuest}`,
      admin: sql`${u.admin}`,
      deactivated: sql`${u.deactivated}`,
      user_type: sql`${u.userType}`,
      avatar_url: sql`${u.avatarUrl}`,
      shadow_banned: sql`${u.shadowBanned}`,
      creation_ts: sql`${u.createdTs}`,
      last_seen_ts: sql`${seen.lastSeenTs}`,
      locked: sql`${u.locked}`,
    };
    const order = q.dir === "b" ? desc : asc;
    const rows = await db
      .select({
        name: u.userId,
        userType: u.userType,
        isGuest: u.isGuest,
        admin: u.admin,
        deactivated: u.deactivated,
        shadowBanned: u.shadowBanned,
        displayname: u.displayname,
        avatarUrl: u.avatarUrl,
        createdTs: u.createdTs,
        erasedId: eu.userId,
        lastSeenTs: seen.lastSeenTs,
        locked: u.locked,
      })
      .from(u)
      .leftJoin(eu, eq(eu.userId, u.userId))
      .leftJoin(seen, eq(seen.userId, u.userId))
      .where(where)
      .orderBy(order(column[q.orderBy]), asc(u.userId))
      .limit(q.limit)
      .offset(q.from);
    return {
      total: Number(countRows[0]?.n ?? 0),
      rows: rows.map(({ erasedId, lastSeenTs, ...r }) => ({
        ...r,
        erased: erasedId !== null,
        lastSeenTs: lastSeenTs === null ? null : Number(lastSeenTs),
      })),
    };
  }

  /** The latest time any device of the user was seen, or null. */
  async lastSeen(userId: string): Promise<number | null> {
    const d = this.database.tables.devices;
    const rows = await this.database.db.select({ ts: sql<number | null>`max(${d.lastSeenTs})` }).from(d).where(eq(d.userId, userId));
    const ts = rows[0]?.ts;
    return ts === null || ts === undefined ? null : Number(ts);
  }

  async isErased(userId: string): Promise<boolean> {
    const eu = this.database.tables.erasedUsers;
    const rows = await this.database.db.select({ id: eu.userId }).from(eu).where(eq(eu.userId, userId)).limit(1);
    return rows.length > 0;
  }

  async markErased(userId: string, nowMs: number): Promise<void> {
    const eu = this.database.tables.erasedUsers;
    await this.database.transaction("mark_user_erased", (tx) =>
      tx.insert(eu).values({ userId, erasedTs: nowMs }).onConflictDoNothing(),
    );
  }

  /** A reactivated user is no longer erased. */
  async unmarkErased(userId: string): Promise<void> {
    const eu = this.database.tables.erasedUsers;
    await this.database.transaction("unmark_user_erased", (tx) => tx.delete(eu).where(eq(eu.userId, userId)));
  }

  /** Per-user rate-limit override rows (the accounts store reads them; the admin API writes them). */
  async setRatelimitOverride(userId: string, messagesPerSecond: number, burstCount: number): Promise<void> {
    const t = this.database.tables.ratelimitOverrides;
    await this.database.transaction("set_ratelimit_override", (tx) =>
      tx
        .insert(t)
        .values({ userId, messagesPerSecond, burstCount })
        .onConflictDoUpdate({ target: t.userId, set: { messagesPerSecond, burstCount } }),
    );
  }

  async deleteRatelimitOverride(userId: string): Promise<void> {
    const t = this.database.tables.ratelimitOverrides;
    await this.database.transaction("delete_ratelimit_override", (tx) => tx.delete(t).where(eq(t.userId, userId)));
  }
}
