import type { Clock, LoopingCall } from "../observability/clock.ts";
import type { Database } from "./database.ts";

/** How often a long-running server refreshes SQLite's planner statistics. */
export const SQLITE_OPTIMIZE_INTERVAL_MS = 6 * 60 * 60_000;

/**
 * Keeps SQLite's query planner statistics current (`PRAGMA optimize`, as SQLite
 * advises for long-lived connections): without them the planner guesses, and may scan a
 * whole table where an index would do once it has grown. Runs once at start (0x10002:
 * also on tables that never had statistics) and then every few hours; `analysis_limit`
 * bounds each ANALYZE to a sample, so a run costs milliseconds even on a big database.
 */
export async function startSqliteOptimize(clock: Clock, database: Database): Promise<LoopingCall | undefined> {
  if (database.dialect !== "sqlite") return undefined;
  await database.queryRaw("PRAGMA analysis_limit = 1000");
  await database.queryRaw("PRAGMA optimize = 0x10002");
  return clock.loopingCall(SQLITE_OPTIMIZE_INTERVAL_MS, () => database.queryRaw("PRAGMA optimize"), { name: "sqlite_optimize", now: false });
}
