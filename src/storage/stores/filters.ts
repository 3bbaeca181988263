import { and, desc, eq } from "drizzle-orm";
import type { Database } from "../database.ts";

/** Uploaded sync filters, numbered per user. */
export class FiltersStore {
  constructor(private readonly database: Database) {}

  /** Stores a filter and returns its id; an identical filter already stored returns its old id. */
  async add(userId: string, filter: Record<string, unknown>): Promise<number> {
    const t = this.database.tables.userFilters;
    const json = JSON.stringify(filter);
    return this.database.transaction("add_user_filter", async (tx) => {
      const rows = await tx
        .select({ filterId: t.filterId, filterJson: t.filterJson })
        .from(t)
        .where(eq(t.userId, userId))
        .orderBy(desc(t.filterId));
      // Clients upload the same filter at every start; reusing the id keeps the table small.
      const same = rows.find((r) => JSON.stringify(r.filterJson) === json);
      if (same) return Number(same.filterId);
      const filterId = rows.length ? Number(rows[0]!.filterId) + 1 : 0;
      await tx.insert(t).values({ userId, filterId, filterJson: filter });
      return filterId;
    });
  }

  async get(userId: string, filterId: number): Promise<Record<string, unknown> | undefined> {
    const { db, tables } = this.database;
    const t = tables.userFilters;
    const rows = await db
      .select({ filterJson: t.filterJson })
      .from(t)
      .where(and(eq(t.userId, userId), eq(t.filterId, filterId)))
      .limit(1);
    return rows[0]?.filterJson;
  }
}
