// Deleting a room's rows table by table, in bounded chunks so a purge never holds the
// database for long: each chunk is its own short transaction, and other requests'
// transactions run between chunks. The one place with dialect-specific SQL for this:
// SQLite addresses rows by rowid (or a WITHOUT ROWID table's key), PostgreSQL by ctid.
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { and, eq, inArray, isNull, lt, notInArray, sql, type SQL } from "drizzle-orm";
import type { Database } from "../database.ts";
import * as schema from "../schema/index.ts";
import { SQLITE_WITHOUT_ROWID } from "../schema/rooms.ts";
import { SqlExec } from "./sql-exec.ts";
import type { PurgeStep, TableName } from "../../admin/room-tables.ts";

/** Names come from the schema, never from input; quoted all the same. */
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

export class RoomPurgeStore {
  readonly #sql: SqlExec;

  constructor(private readonly database: Database) {
    this.#sql = new SqlExec(database);
  }

  /**
   * The SQL name of a table. Metadata (names, indexes) is read from the SQLite schema
   * definitions, the single source both databases' tables come from; queries use
   * `database.tables` as everywhere else.
   */
  tableName(table: TableName): string {
    return getTableConfig(schema[table] as unknown as SQLiteTable).name;
  }

  /**
   * Whether the step's key column leads an index or the primary key: then chunks find
   * their rows through it. Otherwise the step runs as one statement (one scan) instead
   * of one scan per chunk.
   */
  isIndexed(step: PurgeStep): boolean {
    const cfg = getTableConfig(schema[step.table] as unknown as SQLiteTable);
    const column = step.key.kind === "room_id" ? "room_id" : step.key.column;
    if (cfg.columns.some((c) => c.name === column && c.primary)) return true;
    const leading = [
      ...cfg.primaryKeys.map((pk) => pk.columns[0]?.name),
      ...cfg.indexes.map((i) => (i.config.columns[0] as { name?: string } | undefined)?.name),
    ];
    return leading.includes(column);
  }

  /** The condition selecting the room's rows of `step` on the table aliased `t` (one `?`: the room id). */
  #match(step: PurgeStep): string {
    if (step.key.kind === "room_id") return "t.room_id = ?";
    const parent = q(this.tableName(step.key.parent));
    return `t.${q(step.key.column)} IN (SELECT p.${q(step.key.parentColumn)} FROM ${parent} p WHERE p.room_id = ?)`;
  }

  /**
   * Deletes up to `limit` of the room's rows of `step` (all of them when `limit` is
   * null) in one transaction; returns how many went.
   */
  async deleteChunk(step: PurgeStep, roomId: string, limit: number | null): Promise<number> {
    const table = q(this.tableName(step.table));
    const bound = limit === null ? "" : ` LIMIT ${Math.floor(limit)}`;
    const rowKey = this.database.dialect === "sqlite" ? this.#sqliteRowKey(step.table) : ["ctid"];
    const pick = `SELECT ${rowKey.map((c) => `t.${c}`).join(", ")} FROM ${table} t WHERE ${this.#match(step)}${bound}`;
    const text =
      this.database.dialect === "sqlite"
        ? `DELETE FROM ${table} WHERE (${rowKey.join(", ")}) IN (${pick}) RETURNING 1 AS gone`
        : `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(${pick})) RETURNING 1 AS gone`;
    return this.database.transaction("purge_room_chunk", async (tx) => (await this.#sql.rows(tx, text, [roomId])).length);
  }

  /** What addresses a row on SQLite: the rowid, or a WITHOUT ROWID table's primary key columns. */
  #sqliteRowKey(table: TableName): string[] {
    if (!SQLITE_WITHOUT_ROWID.has(this.tableName(table))) return ["rowid"];
    return getTableConfig(schema[table] as unknown as SQLiteTable).primaryKeys[0]!.columns.map((c) => q(c.name));
  }

  /** How many of the room's rows `step` would delete (tests, logs). */
  async count(step: PurgeStep, roomId: string): Promise<number> {
    const table = q(this.tableName(step.table));
    const rows = await this.#sql.rows<{ n: number | string }>(this.database.db, `SELECT count(*) AS n FROM ${table} t WHERE ${this.#match(step)}`, [roomId]);
    return Number(rows[0]?.n ?? 0);
  }
}

/** History purges (POST /purge_history): old non-state events of a room, chunk by chunk. */
export class HistoryPurgeStore {
  constructor(private readonly database: Database) {}

  /**
   * Deletes up to `limit` non-state events of the room below `belowDepth` (never a
   * forward extremity; with `keepSuffix`, never an event whose sender ends with it),
   * with their push actions. Returns how many events went.
   */
  async deleteChunk(roomId: string, belowDepth: number, keepSuffix: string | null, limit: number): Promise<number> {
    const { events: e, roomForwardExtremities: fx, eventPushActions: pa } = this.database.tables;
    return this.database.transaction("purge_history_chunk", async (tx) => {
      const conds: SQL[] = [
        eq(e.roomId, roomId),
        lt(e.depth, belowDepth),
        isNull(e.stateKey),
        notInArray(e.eventId, tx.select({ id: fx.eventId }).from(fx).where(eq(fx.roomId, roomId))),
      ];
      if (keepSuffix !== null) conds.push(sql`${e.sender} NOT LIKE ${`%${keepSuffix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}`} ESCAPE '\\'`);
      const rows = await tx.select({ so: e.streamOrdering, id: e.eventId }).from(e).where(and(...conds)).limit(limit);
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.id);
      await tx.delete(pa).where(inArray(pa.eventId, ids));
      await tx.delete(e).where(inArray(e.streamOrdering, rows.map((r) => r.so)));
      return rows.length;
    });
  }
}
