import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Database as SQLiteDriver } from "bun:sqlite";
import { drizzle as drizzleSqlite, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { getLogger } from "@logtape/logtape";
import * as schema from "./schema/index.ts";
import { TransactionStats } from "./transaction-stats.ts";
import { WriteGenerations } from "./write-generations.ts";
import { WalCheckpointer, type WalCheckpointSchedule } from "./wal-checkpointer.ts";
import { SQLITE_OPEN_FLAGS, sqliteFileUri } from "./sqlite-file.ts";
import { currentUsage } from "../observability/log-context.ts";
import type { DatabaseConfig } from "../config/load.ts";

export type Tables = typeof schema;

/**
 * The query surface stores program against. It is typed as the SQLite
 * flavour of drizzle; on PostgreSQL the same builder calls run on the pg
 * driver with tables derived from the same schema. Stores therefore only
 * `await` builders and never call the SQLite-only `.get()/.all()/.run()`.
 */
export type Db = BunSQLiteDatabase<Tables>;

export interface Database {
  readonly dialect: "sqlite" | "postgres";
  readonly db: Db;
  readonly tables: Tables;
  readonly stats: TransactionStats;
  /** Write counters per table for in-memory caches of rows (stores bump them; see WriteGenerations). */
  readonly generations: WriteGenerations;
  /** Runs `fn` in one database transaction, named for metrics and profiling. Nested calls join the outer one. */
  transaction<T>(name: string, fn: (tx: Db) => Promise<T> | T): Promise<T>;
  /**
   * PostgreSQL only (undefined on SQLite's one connection): `transaction`, but a
   * transaction of its own on another connection even when called inside one, committed
   * whatever becomes of the outer one.
   */
  transactionApart?<T>(name: string, fn: (tx: Db) => Promise<T> | T): Promise<T>;
  /** Executes raw SQL statements in one transaction (migrations, test clean-up). */
  execRaw(statements: string[]): Promise<void>;
  /** Runs a raw query and returns its rows. */
  queryRaw<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs one raw statement once per parameter list, in order (single-row inserts in bulk).
   * Like queryRaw, on SQLite's one connection (so inside a running transaction) and on
   * PostgreSQL's pool.
   */
  runEach(query: string, paramLists: readonly unknown[][]): Promise<void>;
  /**
   * SQLite only (undefined on PostgreSQL): queryRaw and runEach run synchronously. SQLite
   * never waits, and on a hot path an await per statement costs more than the statement.
   */
  readonly now?: {
    query<T = Record<string, unknown>>(query: string, params?: unknown[]): T[];
    runEach(query: string, paramLists: readonly unknown[][]): void;
  };
  close(): Promise<void>;
}

export const txnLog = getLogger(["hearth", "storage", "txn"]);

export interface OpenOptions {
  /** SQLite: when the WAL checkpoint worker runs (DEFAULT_WAL_CHECKPOINTS). */
  walCheckpoints?: WalCheckpointSchedule;
}

export async function openDatabase(config: DatabaseConfig, opts: OpenOptions = {}): Promise<Database> {
  if (config.kind === "sqlite") return openSqlite(config.path, config.exclusiveLock ?? true, opts);
  // Loaded only when configured: the PostgreSQL driver costs memory an SQLite server never needs.
  const { openPostgres } = await import("./database-postgres.ts");
  return openPostgres(config);
}

function openSqlite(path: string, exclusiveLock: boolean, opts: OpenOptions): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const file = path === ":memory:" ? undefined : sqliteFileUri(path, exclusiveLock);
  // bun:sqlite takes open flags (needed for the URI) or options, not both: a file's
  // connection is not `strict`, which only matters for named parameters (Hearth binds by position).
  const client = file === undefined ? new SQLiteDriver(path, { create: true, strict: true }) : new SQLiteDriver(file, SQLITE_OPEN_FLAGS);
  client.exec("PRAGMA journal_mode = WAL");
  // NORMAL is crash-safe in WAL mode; only the last commits before a power cut can be lost.
  client.exec("PRAGMA synchronous = NORMAL");
  client.exec("PRAGMA busy_timeout = 5000");
  client.exec("PRAGMA foreign_keys = ON");
  const checkpointer = file === undefined ? undefined : new WalCheckpointer(client, file, opts.walCheckpoints);
  const stats = new TransactionStats();
  const statements = new StatementCache(client, 1000);
  const db = drizzleSqlite({ client: timedClient(client, stats, statements), schema });
  const inTxn = new AsyncLocalStorage<boolean>();
  // Prepared once: exec would parse them again for every transaction.
  const begin = client.prepare("BEGIN IMMEDIATE");
  const commit = client.prepare("COMMIT");
  // One connection: transactions are serialised so awaits inside one never interleave with another.
  let queue: Promise<unknown> = Promise.resolve();
  const queryNow = <T>(query: string, params: unknown[] = []): T[] => {
    if (!stats.timed) return statements.get(query).all(...(params as never[])) as T[];
    const t0 = performance.now();
    try {
      return statements.get(query).all(...(params as never[])) as T[];
    } finally {
      stats.recordQuery(query, performance.now() - t0);
    }
  };
  // One statement lookup and no await per row: SQLite runs them back to back.
  const runEachNow = (query: string, paramLists: readonly unknown[][]): void => {
    const stmt = statements.get(query);
    const t0 = stats.timed ? performance.now() : 0;
    for (const params of paramLists) stmt.run(...(params as never[]));
    if (stats.timed) stats.recordQuery(query, performance.now() - t0);
  };

  return {
    dialect: "sqlite",
    db,
    tables: schema,
    stats,
    generations: new WriteGenerations(() => inTxn.getStore() !== undefined),
    transaction<T>(name: string, fn: (tx: Db) => Promise<T> | T): Promise<T> {
      if (inTxn.getStore()) return Promise.resolve(fn(db));
      const queued = performance.now();
      const run = async (): Promise<T> => {
        const started = performance.now();
        stats.recordSchedule(started - queued);
        txnLog.debug("[TXN START] {{{name}}}", { name });
        begin.run();
        let ok = false;
        try {
          const result = await inTxn.run(true, () => fn(db));
          commit.run();
          ok = true;
          checkpointer?.committed();
          return result;
        } catch (err) {
          if (client.inTransaction) client.exec("ROLLBACK");
          txnLog.debug("[TXN FAIL] {{{name}}} {error}", { name, error: String(err) });
          throw err;
        } finally {
          finish(stats, name, started, ok);
        }
      };
      const result = queue.then(run, run);
      queue = result.catch(() => undefined);
      return result;
    },
    async execRaw(statements) {
      client.transaction(() => {
        for (const s of statements) client.exec(s);
      })();
    },
    async runEach(query, paramLists) {
      runEachNow(query, paramLists);
    },
    async queryRaw<T>(query: string, params: unknown[] = []) {
      return queryNow<T>(query, params);
    },
    now: { query: queryNow, runEach: runEachNow },
    async close() {
      await queue.catch(() => undefined);
      await checkpointer?.close();
      // Open statements would keep the connection (and its WAL) alive past close().
      statements.finalizeAll();
      begin.finalize();
      commit.finalize();
      client.close();
    },
  };
}

export function finish(stats: TransactionStats, name: string, started: number, ok: boolean): void {
  const ms = performance.now() - started;
  stats.record(name, ms, ok);
  const usage = currentUsage();
  if (usage) {
    usage.dbTxnCount++;
    usage.dbTxnDurationMs += ms;
  }
  if (ok) txnLog.debug("[TXN END] {{{name}}} {seconds} sec", { name, seconds: (ms / 1000).toFixed(6) });
}

/**
 * The connection as drizzle sees it (drizzle only prepares, execs and opens
 * its own transactions): each statement it prepares reports its run time,
 * which bun:sqlite spends synchronously inside run/all/values.
 */
function timedClient(client: SQLiteDriver, stats: TransactionStats, statements: StatementCache): SQLiteDriver {
  return {
    prepare: (sql: string) => {
      const stmt = statements.get(sql);
      return stats.timed ? new TimedStatement(stmt, sql, stats) : stmt;
    },
    exec: (sql: string) => client.exec(sql),
    transaction: (fn: () => unknown) => client.transaction(fn),
  } as unknown as SQLiteDriver;
}

type Statement = ReturnType<SQLiteDriver["prepare"]>;

/**
 * Compiled statements by SQL text. drizzle prepares every query it runs, and compiling
 * costs more than running most of them; bun:sqlite's own query() cache keeps only 20.
 * Sharing is safe: statements here are only run to completion (run/all/values/get),
 * never iterated, and nothing finalizes them (an evicted one is collected with its last
 * user). Least recently used statements go beyond `max`.
 */
class StatementCache {
  readonly #statements = new Map<string, Statement>();

  constructor(
    private readonly client: SQLiteDriver,
    private readonly max: number,
  ) {}

  get(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (stmt) {
      this.#statements.delete(sql);
    } else {
      stmt = this.client.prepare(sql);
      if (this.#statements.size >= this.max) this.#statements.delete(this.#statements.keys().next().value as string);
    }
    this.#statements.set(sql, stmt);
    return stmt;
  }

  finalizeAll(): void {
    for (const stmt of this.#statements.values()) stmt.finalize();
    this.#statements.clear();
  }
}

class TimedStatement {
  constructor(
    private readonly stmt: Statement,
    private readonly sql: string,
    private readonly stats: TransactionStats,
  ) {}

  run(...params: never[]) {
    const t0 = performance.now();
    try {
      return this.stmt.run(...params);
    } finally {
      this.stats.recordQuery(this.sql, performance.now() - t0);
    }
  }

  all(...params: never[]) {
    const t0 = performance.now();
    try {
      return this.stmt.all(...params);
    } finally {
      this.stats.recordQuery(this.sql, performance.now() - t0);
    }
  }

  values(...params: never[]) {
    const t0 = performance.now();
    try {
      return this.stmt.values(...params);
    } finally {
      this.stats.recordQuery(this.sql, performance.now() - t0);
    }
  }

  get(...params: never[]) {
    const t0 = performance.now();
    try {
      return this.stmt.get(...params);
    } finally {
      this.stats.recordQuery(this.sql, performance.now() - t0);
    }
  }
}
