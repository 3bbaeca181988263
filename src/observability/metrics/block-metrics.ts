import { currentUsage } from "../log-context.ts";
import { counter, processCpuShare, SERVER_NAME_LABEL } from "./registry.ts";

const labels = ["block_name", SERVER_NAME_LABEL] as const;
const P = "synapse_util_metrics_block_";
const blockCount = counter(`${P}count_total`, "The number of times this block has been called.", labels);
const blockTime = counter(`${P}time_seconds_total`, "The cumulative time spent executing this block across all calls, in seconds.", labels);
const blockUtime = counter(`${P}ru_utime_seconds_total`, "Resource usage: user CPU time in seconds used in this block", labels);
const blockStime = counter(`${P}ru_stime_seconds_total`, "Resource usage: system CPU time in seconds used in this block", labels);
const blockDbTxnCount = counter(`${P}db_txn_count_total`, "Number of database transactions completed in this block", labels);
const blockDbTxnDuration = counter(
  `${P}db_txn_duration_seconds_total`,
  "Seconds spent waiting for database txns, excluding scheduling time, in this block",
  labels,
);
const blockDbSchedDuration = counter(`${P}db_sched_duration_seconds_total`, "Seconds spent waiting for a db connection, in this block", labels);

/**
 * Synapse's `Measure`: times a block of code into synapse_util_metrics_block_*.
 * Database counts are the growth of the current log context's usage while the
 * block ran (so concurrent work in the same request counts too); CPU is what
 * the enclosing request or background process was attributed meanwhile.
 */
export async function measureBlock<T>(serverName: string, blockName: string, fn: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const cpu = processCpuShare.mark();
  const usage = currentUsage();
  const db0 = { count: usage?.dbTxnCount ?? 0, ms: usage?.dbTxnDurationMs ?? 0 };
  try {
    return await fn();
  } finally {
    const l = { block_name: blockName, server_name: serverName };
    const used = processCpuShare.since(cpu);
    blockCount.inc(l);
    blockTime.inc(l, (performance.now() - started) / 1000);
    blockUtime.inc(l, used.user);
    blockStime.inc(l, used.system);
    blockDbTxnCount.inc(l, Math.max(0, (usage?.dbTxnCount ?? 0) - db0.count));
    blockDbTxnDuration.inc(l, Math.max(0, (usage?.dbTxnDurationMs ?? 0) - db0.ms) / 1000);
    blockDbSchedDuration.inc(l, 0);
  }
}
