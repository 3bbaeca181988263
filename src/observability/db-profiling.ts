import { getLogger } from "@logtape/logtape";
import type { Clock, LoopingCall } from "./clock.ts";
import type { TransactionStats } from "../storage/transaction-stats.ts";

export const DB_PROFILING_INTERVAL_MS = 10_000;

/**
 * Every 10 s, at DEBUG on hearth.storage.TIME, the share of wall time spent in
 * database transactions and the top three transaction names of the interval
 * (Synapse's "Total database time" line).
 */
export function startDbProfiling(clock: Clock, stats: TransactionStats): LoopingCall {
  const log = getLogger(["hearth", "storage", "TIME"]);
  // Totals start at zero, so the first line also counts start-up work (as Synapse does).
  let lastTick = clock.now();
  let lastTotal = 0;
  const lastByName = new Map<string, { count: number; totalMs: number }>();
  return clock.loopingCall(
    DB_PROFILING_INTERVAL_MS,
    () => {
      const now = clock.now();
      const duration = Math.max(1, now - lastTick);
      const line = profilingLine(stats, lastByName, stats.totalMs - lastTotal, duration);
      lastTick = now;
      lastTotal = stats.totalMs;
      for (const [name, t] of stats.byName) lastByName.set(name, { ...t });
      log.debug("{line}", { line });
    },
    { name: "db_profiling" },
  );
}

export function profilingLine(
  stats: TransactionStats,
  previous: Map<string, { count: number; totalMs: number }>,
  intervalTxnMs: number,
  durationMs: number,
): string {
  const entries = [...stats.byName].map(([name, t]) => {
    const prev = previous.get(name) ?? { count: 0, totalMs: 0 };
    return { name, count: t.count - prev.count, ms: t.totalMs - prev.totalMs };
  });
  entries.sort((a, b) => b.ms - a.ms || b.count - a.count || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  const top = entries
    .slice(0, 3)
    .map((e) => `${e.name}(${e.count}): ${((100 * e.ms) / durationMs).toFixed(3)}%`)
    .join(", ");
  return `Total database time: ${((100 * intervalTxnMs) / durationMs).toFixed(3)}% {${top}}`;
}
