import { eq, lt, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

type Schema = typeof import("../schema/accounts.ts");
export type UiAuthSessionRow = Schema["uiAuthSessions"]["$inferSelect"];

/** Session data keys the server sets (never the client). */
export const SESSION_REGISTRATION_TOKEN = "registration_token";
export const SESSION_REGISTRATION_TOKEN_USED = "registration_token_used";

export class UiAuthSessionsStore {
  constructor(private readonly database: Database) {}

  async create(row: UiAuthSessionRow): Promise<void> {
    const t = this.database.tables.uiAuthSessions;
    await this.database.transaction("create_ui_auth_session", (tx) => tx.insert(t).values(row));
  }

  async get(sessionId: string): Promise<UiAuthSessionRow | undefined> {
    const { db, tables } = this.database;
    const t = tables.uiAuthSessions;
    const rows = await db.select().from(t).where(eq(t.sessionId, sessionId)).limit(1);
    return rows[0];
  }

  async setClientdict(sessionId: string, clientdict: Record<string, unknown>): Promise<void> {
    const t = this.database.tables.uiAuthSessions;
    await this.database.transaction("set_ui_auth_clientdict", (tx) => tx.update(t).set({ clientdict }).where(eq(t.sessionId, sessionId)));
  }

  /** Merges `values` into the session's server-side data; false when the session is gone. */
  async setData(sessionId: string, values: Record<string, unknown>): Promise<boolean> {
    const t = this.database.tables.uiAuthSessions;
    return this.database.transaction("set_ui_auth_session_data", async (tx) => {
      const rows = await tx.select({ data: t.data }).from(t).where(eq(t.sessionId, sessionId)).limit(1);
      if (!rows[0]) return false;
      await tx.update(t).set({ data: { ...rows[0].data, ...values } }).where(eq(t.sessionId, sessionId));
      return true;
    });
  }

  /** Records a completed stage; returns every completed stage so far. */
  async completeStage(sessionId: string, stage: string, result: unknown): Promise<Record<string, unknown>> {
    const t = this.database.tables.uiAuthSessions;
    return this.database.transaction("mark_ui_auth_stage_complete", async (tx) => {
      const rows = await tx.select({ completed: t.completed }).from(t).where(eq(t.sessionId, sessionId)).limit(1);
      const completed = { ...(rows[0]?.completed ?? {}), [stage]: result };
      await tx.update(t).set({ completed }).where(eq(t.sessionId, sessionId));
      return completed;
    });
  }

  /**
   * Deletes sessions created before `beforeTs`, releasing the pending use of a
   * registration token held by a session whose registration never finished.
   */
  async deleteExpired(beforeTs: number): Promise<number> {
    const { uiAuthSessions: t, registrationTokens: rt } = this.database.tables;
    return this.database.transaction("delete_old_ui_auth_sessions", async (tx) => {
      const rows = await tx.select({ id: t.sessionId, data: t.data }).from(t).where(lt(t.createdTs, beforeTs)).limit(1000);
      for (const row of rows) {
        const token = row.data[SESSION_REGISTRATION_TOKEN];
        if (typeof token === "string" && !row.data[SESSION_REGISTRATION_TOKEN_USED]) {
          await tx.update(rt).set({ pending: sql`${rt.pending} - 1` }).where(eq(rt.token, token));
        }
        await tx.delete(t).where(eq(t.sessionId, row.id));
      }
      return rows.length;
    });
  }
}
