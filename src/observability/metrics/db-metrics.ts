import type { TransactionStats } from "../../storage/transaction-stats.ts";
import { counter, histogram, SERVER_NAME_LABEL } from "./registry.ts";

const S = SERVER_NAME_LABEL;

const scheduleTime = histogram("synapse_storage_schedule_time", "sec", [S]);
const queryTime = histogram("synapse_storage_query_time", "sec", ["verb", S]);
const txnCount = counter("synapse_storage_transaction_time_count_total", "sec", ["desc", S]);
const txnDuration = counter("synapse_storage_transaction_time_sum_total", "sec", ["desc", S]);

/**
 * Feeds synapse_storage_transaction_time_{count,sum}_total from the database's
 * transaction stats (every finished transaction, failed ones and retries
 * included). Returns the function that stops it.
 */
export function watchTransactions(serverName: string, stats: TransactionStats): () => void {
  return stats.addListener((desc, ms) => {
    const labels = { desc, server_name: serverName };
    txnCount.inc(labels);
    txnDuration.inc(labels, ms / 1000);
  });
}

/** For the storage layer: time a transaction waited for a connection (SQLite: its place in the queue). */
export function observeDbSchedule(serverName: string, seconds: number): void {
  scheduleTime.observe({ server_name: serverName }, seconds);
}

/** For the storage layer: time of one SQL statement; `verb` is its first word. */
export function observeDbQuery(serverName: string, sql: string, seconds: number): void {
  const verb = sql.trim().split(/\s+/, 1)[0] ?? "";
  queryTime.observe({ verb, server_name: serverName }, seconds);
}
