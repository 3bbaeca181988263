import { and, asc, desc, eq, sql, type SQL } from "drizzle-orm";
import type { Database } from "../database.ts";

export type EventReportRow = typeof import("../schema/admin.ts").eventReports.$inferSelect;
export type NewEventReport = Omit<EventReportRow, "id">;

export interface EventReportQuery {
  from: number;
  limit: number;
  /** "b": newest first (the default), "f": oldest first. */
  dir: "f" | "b";
  userId?: string;
  roomId?: string;
  eventSender?: string;
}

export class EventReportsStore {
  constructor(private readonly database: Database) {}

  async add(report: NewEventReport): Promise<number> {
    const t = this.database.tables.eventReports;
    return this.database.transaction("add_event_report", async (tx) => {
      const rows = await tx.insert(t).values(report).returning({ id: t.id });
      return Number(rows[0]!.id);
    });
  }

  async list(q: EventReportQuery): Promise<{ rows: EventReportRow[]; total: number }> {
    const t = this.database.tables.eventReports;
    const conds: SQL[] = [];
    if (q.userId !== undefined) conds.push(eq(t.userId, q.userId));
    if (q.roomId !== undefined) conds.push(eq(t.roomId, q.roomId));
    if (q.eventSender !== undefined) conds.push(eq(t.eventSender, q.eventSender));
    const where = conds.length > 0 ? and(...conds) : undefined;
    const count = await this.database.db.select({ n: sql<number>`count(*)` }).from(t).where(where);
    const order = q.dir === "b" ? desc : asc;
    const rows = await this.database.db.select().from(t).where(where).orderBy(order(t.receivedTs), order(t.id)).limit(q.limit).offset(q.from);
    return { rows, total: Number(count[0]?.n ?? 0) };
  }

  async get(id: number): Promise<EventReportRow | undefined> {
    const t = this.database.tables.eventReports;
    const rows = await this.database.db.select().from(t).where(eq(t.id, id)).limit(1);
    return rows[0];
  }

  /** Returns false when there was no such report. */
  async delete(id: number): Promise<boolean> {
    const t = this.database.tables.eventReports;
    return this.database.transaction("delete_event_report", async (tx) => (await tx.delete(t).where(eq(t.id, id)).returning({ id: t.id })).length > 0);
  }
}
