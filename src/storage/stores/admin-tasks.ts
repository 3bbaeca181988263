import { and, asc, eq, inArray, lt } from "drizzle-orm";
import type { Database } from "../database.ts";

export type AdminTaskRow = typeof import("../schema/admin.ts").adminTasks.$inferSelect;
export type AdminTaskStatus = "scheduled" | "active" | "complete" | "failed";

/** Admin background tasks (room deletions, history purges) and their outcome. */
export class AdminTasksStore {
  constructor(private readonly database: Database) {}

  async create(row: AdminTaskRow): Promise<void> {
    const t = this.database.tables.adminTasks;
    await this.database.transaction("create_admin_task", (tx) => tx.insert(t).values(row));
  }

  async update(id: string, fields: Partial<Pick<AdminTaskRow, "status" | "result" | "error">>, nowMs: number): Promise<void> {
    const t = this.database.tables.adminTasks;
    await this.database.transaction("update_admin_task", (tx) => tx.update(t).set({ ...fields, updatedTs: nowMs }).where(eq(t.id, id)));
  }

  async get(id: string): Promise<AdminTaskRow | undefined> {
    const t = this.database.tables.adminTasks;
    const rows = await this.database.db.select().from(t).where(eq(t.id, id)).limit(1);
    return rows[0];
  }

  async forRoom(roomId: string, kind: string): Promise<AdminTaskRow[]> {
    const t = this.database.tables.adminTasks;
    return this.database.db.select().from(t).where(and(eq(t.roomId, roomId), eq(t.kind, kind))).orderBy(asc(t.createdTs));
  }

  /** Forgets finished tasks last updated before `beforeMs`. */
  async deleteFinishedBefore(beforeMs: number): Promise<void> {
    const t = this.database.tables.adminTasks;
    await this.database.transaction("delete_old_admin_tasks", (tx) =>
      tx.delete(t).where(and(lt(t.updatedTs, beforeMs), inArray(t.status, ["complete", "failed"]))),
    );
  }

  /** Marks tasks created before `beforeMs` that never finished (the server stopped) as failed; returns how many. */
  async failUnfinished(error: string, beforeMs: number, nowMs: number): Promise<number> {
    const t = this.database.tables.adminTasks;
    return this.database.transaction("fail_interrupted_admin_tasks", async (tx) => {
      const rows = await tx
        .update(t)
        .set({ status: "failed", error, updatedTs: nowMs })
        .where(and(inArray(t.status, ["scheduled", "active"]), lt(t.createdTs, beforeMs)))
        .returning({ id: t.id });
      return rows.length;
    });
  }
}
