import { eq } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { RatelimitOverride } from "../../ratelimit/limiter.ts";

export class RatelimitOverridesStore {
  constructor(private readonly database: Database) {}

  async loadAll(): Promise<Map<string, RatelimitOverride>> {
    const { db, tables } = this.database;
    const rows = await db.select().from(tables.ratelimitOverrides);
    return new Map(rows.map((r) => [r.userId, { messagesPerSecond: r.messagesPerSecond, burstCount: r.burstCount }]));
  }

  async get(userId: string): Promise<RatelimitOverride | undefined> {
    const { db, tables } = this.database;
    const t = tables.ratelimitOverrides;
    const rows = await db.select().from(t).where(eq(t.userId, userId)).limit(1);
    const r = rows[0];
    return r ? { messagesPerSecond: r.messagesPerSecond, burstCount: r.burstCount } : undefined;
  }
}
