import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { getTableColumns, getTableName, sql, type SQL, type Table } from "drizzle-orm";
import type { Database, Db } from "../database.ts";

/**
 * Plain SQL (`?` placeholders, the same text on both databases) for the event write
 * path and the few reads the builder cannot express (recursive CTEs). The query builder
 * costs tens of microseconds per statement, which is most of an event's write budget;
 * here SQLite runs cached prepared statements on its one connection (so inside the
 * caller's transaction), and PostgreSQL runs the same text on the transaction `tx`.
 * This class is the one place where the two databases are driven differently.
 * PostgreSQL returns BIGINT columns as strings: Number() them.
 */
export class SqlExec {
  /** `?` texts as PostgreSQL's `$n` texts. */
  readonly #dollar = new Map<string, string>();
  /** Insert statement texts by column list (the callers' constant arrays), then table and suffix. */
  readonly #insertTexts = new WeakMap<string[], Map<string, Map<string, InsertTexts>>>();
  /** Column types for unnest inserts, by table and columns (undefined: use VALUES). */
  readonly #arrayTypes = new Map<string, string[] | undefined>();

  constructor(private readonly database: Database) {}

  async rows<T extends Record<string, unknown>>(tx: Db, text: string, params: unknown[] = []): Promise<T[]> {
    if (this.database.dialect === "sqlite") return this.database.queryRaw<T>(text, params);
    // The postgres.js client under drizzle's database or transaction: building a drizzle
    // SQL object for a text we already have costs more than the round trip's CPU.
    const client = pgClientOf(tx);
    if (client) return [...(await client.unsafe<T>(this.#dollarText(text), params))];
    const pg = tx as unknown as { execute(q: SQL): Promise<T[]> };
    return [...(await pg.execute(toSql(text, params)))];
  }

  #dollarText(text: string): string {
    let out = this.#dollar.get(text);
    if (out === undefined) {
      let n = 0;
      out = text.replace(/\?/g, () => `$${++n}`);
      if (this.#dollar.size >= 2000) this.#dollar.clear();
      this.#dollar.set(text, out);
    }
    return out;
  }

  async run(tx: Db, text: string, params: unknown[] = []): Promise<void> {
    await this.rows(tx, text, params);
  }

  /**
   * Whether `insertMany` of this many rows without a suffix streams them with COPY (on
   * PostgreSQL, in a transaction). A COPY holds the connection until it completes: the
   * caller awaits it before issuing anything else on `tx` (PostgreSQL refuses statements
   * that arrive during one).
   */
  copies(rows: number): boolean {
    return this.database.dialect === "postgres" && rows >= PG_COPY_MIN_ROWS;
  }

  /**
   * Inserts rows into `table`. `suffix` follows the VALUES list (e.g. ON CONFLICT ...).
   * SQLite: cached statements of 50 rows (fewer for wide tables), then powers of two;
   * a single-row statement per row for the tables in SQLITE_ROW_AT_A_TIME.
   * PostgreSQL: COPY for big plain inserts (see `copies`: such a call is awaited before
   * anything else is issued on `tx`), else unnest() arrays or VALUES, pipelined.
   */
  insertMany(tx: Db, table: string, columns: string[], rows: unknown[][], suffix = ""): Promise<void> {
    return this.prepareInsert(table, columns, rows, suffix).run(tx);
  }

  /**
   * `insertMany` as a value: `copies` says whether `run` must be awaited before anything
   * else is issued on the transaction. A COPY's rows are serialised a chunk at a time as
   * it is sent, so the server inserts one chunk while the next is written.
   */
  prepareInsert(table: string, columns: string[], rows: unknown[][], suffix = "", opts: { serialiseNow?: boolean } = {}): PreparedInsert {
    if (suffix === "" && this.copies(rows.length)) {
      // serialiseNow: the caller has time to spare now and none once the COPY starts.
      const now = opts.serialiseNow ? [...copyChunks(rows)].map((text) => Buffer.from(text)) : undefined;
      return { copies: true, run: (tx) => this.#copy(tx, table, columns, now ?? copyChunks(rows)) };
    }
    return { copies: false, run: (tx) => this.#insert(tx, table, columns, rows, suffix) };
  }

  /**
   * Rows of `table` written as they are produced, for a long write whose later rows are
   * made while earlier ones are written: on PostgreSQL one COPY that stays open until
   * `close` (the server inserts each part as it arrives, on its own core; nothing else
   * may be issued on `tx` meanwhile), on SQLite the rows of each `add` inserted at once.
   */
  async openRowStream(tx: Db, table: string, columns: string[]): Promise<RowStream> {
    if (this.database.dialect === "sqlite") {
      return {
        add: async (rows) => {
          if (rows.length > 0) await this.insertMany(tx, table, columns, rows);
        },
        close: async () => {},
        abort: () => {},
      };
    }
    const { stream, refused } = await this.#startCopy(tx, table, columns);
    // `abort` destroys the stream with an error, which the stream then emits; the failure
    // reaches the caller through `refused`.
    stream.on("error", () => undefined);
    return {
      add: async (rows) => {
        if (rows.length === 0) return;
        // The stream buffers what the socket cannot take yet; waiting for it to drain keeps
        // a fast producer from holding the whole table's text in memory.
        if (!stream.write(copyText(rows))) await Promise.race([new Promise((resolve) => stream.once("drain", resolve)), refused]);
      },
      close: () => Promise.race([new Promise<void>((resolve) => stream.end(resolve)), refused]),
      // CopyFail: the server refuses the COPY, and the transaction fails with it.
      abort: (err) => void stream.destroy(err instanceof Error ? err : new Error(String(err))),
    };
  }

  /**
   * Statements of one transaction issued without waiting for each: on SQLite each runs at
   * once (nothing there waits, and an await per statement costs more than most of the
   * statements); on PostgreSQL each is sent at once and the transaction's connection runs
   * them in the order they were issued, one round trip for the lot (pipelining). A failure surfaces at once on SQLite,
   * from `done` on PostgreSQL.
   */
  pipeline(tx: Db): StatementPipeline {
    return new StatementPipeline(this, tx);
  }

  /** SQLite: runs the insert now and returns true; PostgreSQL: false (nothing done). */
  insertNow(table: string, columns: string[], rows: unknown[][], suffix = ""): boolean {
    const now = this.database.now;
    if (!now) return false;
    if (rows.length === 0) return true;
    const { head, one, single } = this.#texts(table, columns, suffix);
    // Into tables with several indexes SQLite inserts the rows of a multi-row VALUES list
    // at less than half the speed of single-row statements (events: ~25 µs a row against
    // ~11); into the others multi-row statements are faster.
    if (SQLITE_ROW_AT_A_TIME.has(table)) {
      now.runEach(single, rows);
      return true;
    }
    // Rows go in statements of `per` rows, then of powers of two, so a table has a
    // handful of cached statement texts.
    const per = Math.max(1, Math.min(SQLITE_CHUNK_ROWS, Math.floor(SQLITE_MAX_PARAMS / columns.length)));
    for (let i = 0; i < rows.length; ) {
      const n = chunkRows(rows.length - i, per);
      const text = n === 1 ? single : `${head}${Array(n).fill(one).join(", ")} ${suffix}`;
      now.query(text, n === 1 ? rows[i]! : rows.slice(i, i + n).flat());
      i += n;
    }
    return true;
  }

  /** Texts built once: building and hashing a long statement text costs microseconds per row. */
  #texts(table: string, columns: string[], suffix: string): InsertTexts {
    // Nested by the callers' constant strings, whose hashes the engine keeps.
    let byTable = this.#insertTexts.get(columns);
    if (!byTable) this.#insertTexts.set(columns, (byTable = new Map()));
    let bySuffix = byTable.get(table);
    if (!bySuffix) byTable.set(table, (bySuffix = new Map()));
    let texts = bySuffix.get(suffix);
    if (!texts) {
      const head = `INSERT INTO ${table} (${columns.join(", ")}) VALUES `;
      const one = `(${columns.map(() => "?").join(", ")})`;
      texts = { head, one, single: `${head}${one} ${suffix}` };
      bySuffix.set(suffix, texts);
    }
    return texts;
  }

  /** SQLite: runs the statement now and returns true; PostgreSQL: false (nothing done). */
  runNow(text: string, params: unknown[] = []): boolean {
    const now = this.database.now;
    if (!now) return false;
    now.query(text, params);
    return true;
  }

  async #insert(tx: Db, table: string, columns: string[], rows: unknown[][], suffix: string): Promise<void> {
    if (rows.length === 0 || this.insertNow(table, columns, rows, suffix)) return;
    const { head, one } = this.#texts(table, columns, suffix);
    // Every chunk is handed to the connection at once, in order (see pipeline).
    const sent: Promise<void>[] = [];
    const types = rows.length >= PG_UNNEST_MIN_ROWS ? this.#pgArrayTypes(table, columns) : undefined;
    if (types) {
      // One array per column: PostgreSQL parses and plans a short statement instead of
      // thousands of placeholders (a third less time for 10,000 event rows).
      const text = `${head.slice(0, -" VALUES ".length)} SELECT * FROM unnest(${types.map((t) => `?::${t}[]`).join(", ")}) ${suffix}`;
      for (let i = 0; i < rows.length; i += PG_UNNEST_CHUNK_ROWS) {
        const chunk = rows.slice(i, i + PG_UNNEST_CHUNK_ROWS);
        sent.push(this.run(tx, text, columns.map((_, c) => chunk.map((r) => arrayElement(r[c])))));
      }
    } else {
      // Chunks as on SQLite, so a table has a handful of texts (which stay prepared).
      for (let i = 0; i < rows.length; ) {
        const n = chunkRows(rows.length - i, PG_VALUES_MAX_ROWS);
        const chunk = rows.slice(i, i + n);
        sent.push(this.run(tx, `${head}${chunk.map(() => one).join(", ")} ${suffix}`, chunk.flat()));
        i += n;
      }
    }
    await Promise.all(sent);
  }

  /**
   * COPY ... FROM STDIN in text format. For thousands of rows it costs PostgreSQL about
   * two thirds of an unnest() insert, and the rows are written as tab-separated text
   * rather than escaped array literals (JSON, full of quotes, needs none in COPY text).
   */
  async #copy(tx: Db, table: string, columns: string[], chunks: Iterable<string | Buffer>): Promise<void> {
    const { stream, refused } = await this.#startCopy(tx, table, columns);
    await Promise.race([pipeline(Readable.from(chunks), stream), refused]);
  }

  async #startCopy(tx: Db, table: string, columns: string[]): Promise<{ stream: NodeJS.WritableStream & Writable; refused: Promise<never> }> {
    const client = pgClientOf(tx);
    if (!client) throw new Error("COPY needs a PostgreSQL transaction");
    const query = client.unsafe(`COPY ${table} (${columns.join(", ")}) FROM STDIN`);
    // postgres.js never ends the stream of a COPY the server refuses after its last row
    // (a duplicate key, say): it only rejects the query, whose promise already resolved
    // with the stream. That rejection is caught here so the caller hears of it.
    const refused = new Promise<never>((_, reject) => {
      const original = query.reject;
      query.reject = (err: unknown) => {
        reject(err);
        original(err);
      };
    });
    refused.catch(() => undefined);
    const stream = (await query.writable()) as NodeJS.WritableStream & Writable;
    return { stream, refused };
  }

  /** The PostgreSQL types of `columns` of `table` (from the schema), for unnest's arrays. */
  #pgArrayTypes(table: string, columns: string[]): string[] | undefined {
    const key = `${table}(${columns.join(",")})`;
    if (this.#arrayTypes.has(key)) return this.#arrayTypes.get(key);
    let types: string[] | undefined;
    for (const t of Object.values(this.database.tables) as Table[]) {
      if (getTableName(t) !== table) continue;
      const byName = new Map(Object.values(getTableColumns(t)).map((c) => [c.name, c.getSQLType()]));
      const found = columns.map((c) => byName.get(c));
      if (found.every((x): x is string => x !== undefined && ARRAY_TYPES.has(x))) types = found;
      break;
    }
    this.#arrayTypes.set(key, types);
    return types;
  }
}

/** See SqlExec.pipeline. */
export class StatementPipeline {
  readonly #pending: Promise<unknown>[] = [];

  constructor(
    private readonly sql: SqlExec,
    private readonly tx: Db,
  ) {}

  run(text: string, params: unknown[] = []): void {
    if (!this.sql.runNow(text, params)) this.#pending.push(this.sql.run(this.tx, text, params));
  }

  insertMany(table: string, columns: string[], rows: unknown[][], suffix = ""): void {
    if (rows.length === 0 || this.sql.insertNow(table, columns, rows, suffix)) return;
    this.#pending.push(this.sql.insertMany(this.tx, table, columns, rows, suffix));
  }

  /** Issues a prepared insert; a COPY is awaited (PostgreSQL refuses statements during one). */
  async insert(insert: PreparedInsert): Promise<void> {
    if (insert.copies) await insert.run(this.tx);
    else this.#pending.push(insert.run(this.tx));
  }

  /** Adds work the transaction must wait for. */
  wait(work: Promise<unknown>): void {
    this.#pending.push(work);
  }

  /** Resolves once everything issued has completed (rejects with the first failure). */
  async done(): Promise<void> {
    if (this.#pending.length > 0) await Promise.all(this.#pending);
  }
}

interface InsertTexts {
  /** `INSERT INTO table (columns) VALUES ` */
  head: string;
  /** One row's placeholders. */
  one: string;
  /** The single-row statement with its suffix. */
  single: string;
}

/** See SqlExec.openRowStream. */
export interface RowStream {
  /** Sends rows; resolves when more may follow. */
  add(rows: unknown[][]): Promise<void>;
  /** Resolves once every row is in (rejects if the database refused one). */
  close(): Promise<void>;
  /** Gives up: the database refuses the rows, failing the transaction. */
  abort(err: unknown): void;
}

export interface PreparedInsert {
  /** Whether `run` is a COPY: await it before issuing anything else on the transaction. */
  copies: boolean;
  run(tx: Db): Promise<void>;
}

/**
 * Rows for the next insert statement when `left` remain: `max`, or below that the largest
 * power of two, so a batch of any size uses a handful of statement texts.
 */
function chunkRows(left: number, max: number): number {
  return left >= max ? max : 2 ** Math.floor(Math.log2(left));
}

/** From this many rows plain PostgreSQL inserts go through COPY (a round trip more than an insert). */
const PG_COPY_MIN_ROWS = 500;
const COPY_ROWS_PER_CHUNK = 1000;

/** Rows as COPY text, a chunk per COPY_ROWS_PER_CHUNK rows. */
function* copyChunks(rows: unknown[][]): Generator<string> {
  for (let i = 0; i < rows.length; i += COPY_ROWS_PER_CHUNK) yield copyText(rows.slice(i, i + COPY_ROWS_PER_CHUNK));
}

function copyText(rows: unknown[][]): string {
  // Appended field by field: 10,000 event rows serialise ~40% faster than by mapping and
  // joining each row.
  let text = "";
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (i > 0) text += "\t";
      if (typeof v === "string") text += COPY_SPECIAL.test(v) ? v.replace(COPY_ESCAPES, (c) => COPY_ESCAPED[c]!) : v;
      else if (typeof v === "number") text += v;
      else text += copyField(v);
    }
    text += "\n";
  }
  return text;
}

/** A value in COPY's text format: \N is NULL; backslash, newline, CR and tab are escaped. */
function copyField(v: unknown): string {
  if (v === null || v === undefined) return "\\N";
  if (typeof v === "boolean") return v ? "t" : "f";
  const s = typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
  return COPY_SPECIAL.test(s) ? s.replace(COPY_ESCAPES, (c) => COPY_ESCAPED[c]!) : s;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES = /[\\\n\r\t]/g;
const COPY_ESCAPED: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** From this many rows PostgreSQL inserts go through unnest(), in chunks of the second. */
const PG_UNNEST_MIN_ROWS = 50;
/** Rows per VALUES statement at most (tables whose columns unnest cannot carry). */
const PG_VALUES_MAX_ROWS = 256;
const PG_UNNEST_CHUNK_ROWS = 5000;
/** Types whose arrays postgres.js serialises as PostgreSQL reads them back. */
const ARRAY_TYPES = new Set(["text", "bigint", "integer", "boolean", "double precision"]);

/** postgres.js writes a boolean array wrongly; as 't'/'f' text PostgreSQL casts it. */
function arrayElement(v: unknown): unknown {
  return typeof v === "boolean" ? (v ? "t" : "f") : v;
}

/** SQLite's historical limit on bound parameters per statement (newer builds allow more). */
const SQLITE_MAX_PARAMS = 999;
const SQLITE_CHUNK_ROWS = 50;
/** Tables SQLite fills faster one row per statement (measured with bun:sqlite; see insertMany). */
const SQLITE_ROW_AT_A_TIME = new Set(["events", "room_memberships"]);

/** The postgres.js client under drizzle's PostgreSQL database or transaction. */
function pgClientOf(tx: Db): PgClient | undefined {
  return (tx as unknown as { session?: { client?: PgClient } }).session?.client;
}

interface PgClient {
  unsafe<T>(query: string, params?: unknown[]): PgQuery<T>;
}

/** The parts of a postgres.js query a COPY uses. */
type PgQuery<T> = Promise<Iterable<T>> & { writable(): Promise<NodeJS.WritableStream>; reject(err: unknown): void };

/** `text` with `?` placeholders as a drizzle SQL object binding `params`. */
function toSql(text: string, params: unknown[]): SQL {
  const parts = text.split("?");
  if (parts.length !== params.length + 1) throw new Error(`expected ${parts.length - 1} parameters, got ${params.length}`);
  const chunks: SQL[] = [sql.raw(parts[0]!)];
  for (let i = 0; i < params.length; i++) chunks.push(sql`${params[i]}`, sql.raw(parts[i + 1]!));
  return sql.join(chunks);
}
