import type { TransactionStats } from "../../storage/transaction-stats.ts";
import { ServerCounter, ServerHistogram } from "./server-histogram.ts";

// One observation per transaction and per statement: the cheap histogram, not prom-client's.
const scheduleTime = new ServerHistogram({ name: "synapse_storage_schedule_time", help: "sec" });
const queryTime = new ServerHistogram({ name: "synapse_storage_query_time", help: "sec", label: "verb" });
const txnCount = new ServerCounter({ name: "synapse_storage_transaction_time_count_total", help: "sec", labels: ["desc"] });
const txnDuration = new ServerCounter({ name: "synapse_storage_transaction_time_sum_total", help: "sec", labels: ["desc"] });

/**
 * Feeds the storage metrics from the database's transaction stats:
 * synapse_storage_transaction_time_{count,sum}_total (every finished
 * transaction, failed ones and retries included), the schedule time of each
 * transaction and the time of each statement. Returns the function that stops it.
 */
export function watchTransactions(serverName: string, stats: TransactionStats): () => void {
  const stopTransactions = stats.addListener((desc, ms) => {
    txnCount.series(serverName, [desc]).value++;
    txnDuration.series(serverName, [desc]).value += ms / 1000;
  });
  // The statements a server runs are few and repeat: their verbs are remembered.
  const verbs = new Map<string, string>();
  const verbOf = (sql: string) => {
    let verb = verbs.get(sql);
    if (verb === undefined) {
      verb = sqlVerb(sql);
      if (verbs.size >= 5000) verbs.clear();
      verbs.set(sql, verb);
    }
    return verb;
  };
  const stopTimings = stats.addTimingListener({
    schedule: (ms) => scheduleTime.observe(serverName, ms / 1000),
    query: (sql, ms) => queryTime.observe(serverName, ms / 1000, verbOf(sql)),
  });
  return () => {
    stopTransactions();
    stopTimings();
  };
}

/** For the storage layer: time a transaction waited for a connection (SQLite: its place in the queue). */
export function observeDbSchedule(serverName: string, seconds: number): void {
  scheduleTime.observe(serverName, seconds);
}

/** For the storage layer: time of one SQL statement; `verb` is its first word. */
export function observeDbQuery(serverName: string, sql: string, seconds: number): void {
  queryTime.observe(serverName, seconds, sqlVerb(sql));
}

/** Verbs reported as themselves; anything else is OTHER, so odd SQL cannot grow the label set. */
const KNOWN_VERBS = new Set([
  "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "UPSERT", "REPLACE", "VALUES",
  "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE",
  "CREATE", "DROP", "ALTER", "PRAGMA", "ANALYZE", "VACUUM", "EXPLAIN", "SET", "LOCK", "TRUNCATE",
]);

/**
 * The statement's first word in upper case (Synapse's SQL is upper case; drizzle
 * writes lower case), as Synapse's `verb` label.
 */
export function sqlVerb(sql: string): string {
  let start = 0;
  while (start < sql.length && sql.charCodeAt(start) <= 32) start++;
  let end = start;
  while (end < sql.length && end - start < 10 && sql.charCodeAt(end) > 32 && sql.charCodeAt(end) !== 40 /* ( */) end++;
  const verb = sql.slice(start, end).toUpperCase();
  return KNOWN_VERBS.has(verb) ? verb : "OTHER";
}
