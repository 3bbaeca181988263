import { AsyncLocalStorage } from "node:async_hooks";
import { drizzle as drizzlePg } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/index.ts";
import { toPgTables } from "./schema-pg.ts";
import { TransactionStats } from "./transaction-stats.ts";
import { WriteGenerations } from "./write-generations.ts";
import { finish, txnLog, type Database, type Db, type Tables } from "./database.ts";
import type { DatabaseConfig } from "../config/load.ts";

const RETRYABLE_PG = new Set(["40001", "40P01"]);

export function openPostgres(config: Extract<DatabaseConfig, { kind: "postgres" }>): Database {
  const options: postgres.Options<{}> = {
    max: config.poolMax,
    idle_timeout: 60,
    onnotice: () => {},
    connection: config.schema ? { search_path: config.schema } : {},
  };
  const client = config.url
    ? postgres(config.url, options)
    : postgres({
        ...options,
        host: config.host,
        port: config.port,
        user: config.user,
        password: config.password,
        database: config.database,
      });
  const tables = toPgTables(schema) as unknown as Tables;
  const stats = new TransactionStats();
  const prepared = new PreparedTexts(PREPARED_TEXTS);
  const db = drizzlePg({ client: timedSql(client, stats, prepared), schema: tables as never }) as unknown as Db & {
    transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  };
  const inTxn = new AsyncLocalStorage<Db>();

  const apart = async <T>(name: string, fn: (tx: Db) => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    let ok = false;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          txnLog.debug("[TXN START] {{{name}}}", { name });
          const asked = performance.now();
          const result = await db.transaction((tx) => {
            stats.recordSchedule(performance.now() - asked);
            return inTxn.run(tx, async () => fn(tx));
          });
          ok = true;
          return result;
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code && RETRYABLE_PG.has(code) && attempt < 5) {
            txnLog.warn("[TXN DEADLOCK] {{{name}}} {attempt}/5", { name, attempt });
            continue;
          }
          txnLog.debug("[TXN FAIL] {{{name}}} {error}", { name, error: String(err) });
          throw err;
        }
      }
    } finally {
      finish(stats, name, started, ok);
    }
  };

  return {
    dialect: "postgres",
    db,
    tables,
    stats,
    generations: new WriteGenerations(() => inTxn.getStore() !== undefined),
    async transaction<T>(name: string, fn: (tx: Db) => Promise<T> | T): Promise<T> {
      const outer = inTxn.getStore();
      if (outer) return fn(outer);
      return apart(name, fn);
    },
    transactionApart: apart,
    async execRaw(statements) {
      await client.begin(async (sql) => {
        for (const s of statements) await sql.unsafe(s);
      });
    },
    async runEach(query, paramLists) {
      const text = dollarPlaceholders(query);
      for (const params of paramLists) await client.unsafe(text, params as never[]);
    },
    async queryRaw<T>(query: string, params: unknown[] = []) {
      return (await client.unsafe(dollarPlaceholders(query), params as never[])) as unknown as T[];
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

type Sql = postgres.Sql<{}>;

/** `?` placeholders as `$n`, so callers write one query text for both dialects. */
function dollarPlaceholders(query: string): string {
  let n = 0;
  return query.replace(/\?/g, () => `$${++n}`);
}

/** Distinct statement texts a homeserver prepares on PostgreSQL at most (see PreparedTexts). */
const PREPARED_TEXTS = 512;

/**
 * Which statement texts run as prepared statements. postgres.js runs an unprepared
 * statement with parameters in two round trips (it asks for the parameter types first,
 * and statements pipelined behind it wait for that answer), and the server plans it each
 * time; a prepared one costs one round trip and is parsed once per connection. Prepared
 * statements live as long as their connection, so only the first `max` distinct texts are
 * prepared: hot statements come first, and texts built for lists of every length cannot
 * pile up on the server.
 */
class PreparedTexts {
  readonly #texts = new Set<string>();

  constructor(private readonly max: number) {}

  admit(text: string): boolean {
    if (this.#texts.has(text)) return true;
    if (this.#texts.size >= this.max) return false;
    this.#texts.add(text);
    return true;
  }
}

/**
 * The client as drizzle sees it (drizzle uses `options`, `unsafe`, `begin` and
 * `savepoint`): every statement reports the time from being issued to its
 * result, network and, outside transactions, the wait for a pooled connection
 * included. Transactions and savepoints hand drizzle a timed client as well.
 */
function timedSql(sql: Sql | postgres.TransactionSql<{}>, stats: TransactionStats, prepared: PreparedTexts): Sql {
  const withTimed = (args: unknown[]) => {
    const fn = args.pop() as (s: Sql) => unknown;
    return [...args, (inner: postgres.TransactionSql<{}>) => fn(timedSql(inner, stats, prepared))];
  };
  return {
    options: (sql as Sql).options,
    unsafe(query: string, params?: never[], opts?: postgres.UnsafeQueryOptions) {
      // Drizzle asks for `prepare: false` unless a query was given a name (never, here): the
      // choice is PreparedTexts' either way.
      const prepare = params !== undefined && params.length > 0 && prepared.admit(query);
      const pending = sql.unsafe(query, params, prepare ? { ...opts, prepare: true } : opts);
      if (stats.timed) {
        const t0 = performance.now();
        const done = () => stats.recordQuery(query, performance.now() - t0);
        // postgres.js queries start on their first then(), after the caller's synchronous .values().
        pending.then(done, done);
      }
      return pending;
    },
    begin: (...args: unknown[]) => (sql as Sql).begin(...(withTimed(args) as [never])),
    savepoint: (...args: unknown[]) => (sql as postgres.TransactionSql<{}>).savepoint(...(withTimed(args) as [never])),
  } as unknown as Sql;
}
