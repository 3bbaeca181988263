import { and, asc, lte, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "../database.ts";

/**
 * Deletes one batch of the rows of `table` matching `where`, lowest `order` first, in a
 * transaction named `name`: the first `batch` rows and any sharing the last one's
 * position (so many rows at one position cannot stall a loop of batches). `more` says
 * whether there may be rows left.
 */
export async function deleteBatch(
  database: Database,
  name: string,
  table: SQLiteTable,
  order: SQLiteColumn,
  where: SQL,
  batch: number,
): Promise<{ deleted: number; more: boolean }> {
  const [edge] = await database.db
    .select({ position: order })
    .from(table)
    .where(where)
    .orderBy(asc(order))
    .limit(1)
    .offset(batch - 1);
  const bounded = edge ? and(where, lte(order, Number(edge.position)))! : where;
  const deleted = await database.transaction(name, async (tx) => (await tx.delete(table).where(bounded).returning({ position: order })).length);
  return { deleted, more: edge !== undefined };
}
