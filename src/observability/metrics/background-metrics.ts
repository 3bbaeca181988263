import type { BackgroundProcessObserver } from "../background.ts";
import { currentUsage } from "../log-context.ts";
import type { CpuMark, CpuShare } from "./cpu-share.ts";
import { counter, gauge, SERVER_NAME_LABEL } from "./registry.ts";

const S = SERVER_NAME_LABEL;
const P = "synapse_background_process_";
const labels = ["name", S] as const;

const startCount = counter(`${P}start_count_total`, "Number of background processes started", labels);
const inFlightCount = gauge(`${P}in_flight_count`, "Number of background processes in flight", labels);
const utime = counter(`${P}ru_utime_seconds_total`, "User CPU time used by background processes, in seconds", labels);
const stime = counter(`${P}ru_stime_seconds_total`, "System CPU time used by background processes, in seconds", labels);
const dbTxnCount = counter(`${P}db_txn_count_total`, "Number of database transactions done by background processes", labels);
const dbTxnDuration = counter(
  `${P}db_txn_duration_seconds_total`,
  "Seconds spent by background processes waiting for database transactions, excluding scheduling time",
  labels,
);
const dbSchedDuration = counter(
  `${P}db_sched_duration_seconds_total`,
  "Seconds spent by background processes waiting for database connections",
  labels,
);

interface Running {
  mark: CpuMark;
  reportedUser: number;
  reportedSystem: number;
}

/**
 * Background process metrics of one homeserver (§5.5). CPU time is the
 * CpuShare approximation, brought up to date at scrape time for processes
 * still running and completed when they finish. Database counts and
 * durations are exact: `finished` runs inside the process's own log context,
 * whose usage the database layer has been adding to.
 */
export class BackgroundMetrics {
  // Runs of the same name are interchangeable for per-name totals, so a stack per name is enough.
  readonly #running = new Map<string, Running[]>();

  constructor(
    private readonly serverName: string,
    private readonly cpu: CpuShare,
  ) {}

  readonly observer: BackgroundProcessObserver = {
    started: (desc) => {
      const l = { name: desc, server_name: this.serverName };
      startCount.inc(l);
      inFlightCount.inc(l);
      let runs = this.#running.get(desc);
      if (!runs) this.#running.set(desc, (runs = []));
      runs.push({ mark: this.cpu.begin(), reportedUser: 0, reportedSystem: 0 });
    },
    finished: (desc) => {
      const l = { name: desc, server_name: this.serverName };
      inFlightCount.dec(l);
      const runs = this.#running.get(desc);
      const run = runs?.pop();
      if (runs && runs.length === 0) this.#running.delete(desc);
      if (run) this.#addCpu(l, run, this.cpu.end(run.mark));
      const usage = currentUsage();
      dbTxnCount.inc(l, usage?.dbTxnCount ?? 0);
      dbTxnDuration.inc(l, (usage?.dbTxnDurationMs ?? 0) / 1000);
      dbSchedDuration.inc(l, (usage?.dbSchedMs ?? 0) / 1000);
    },
  };

  beforeScrape(): void {
    for (const [desc, runs] of this.#running) {
      const l = { name: desc, server_name: this.serverName };
      for (const run of runs) this.#addCpu(l, run, this.cpu.since(run.mark));
    }
  }

  /** Releases the CPU shares of processes that never finished (shutdown timed out). */
  close(): void {
    for (const runs of this.#running.values()) for (const run of runs) this.cpu.end(run.mark);
    this.#running.clear();
  }

  #addCpu(l: { name: string; server_name: string }, run: Running, used: { user: number; system: number }): void {
    utime.inc(l, Math.max(0, used.user - run.reportedUser));
    stime.inc(l, Math.max(0, used.system - run.reportedSystem));
    run.reportedUser = Math.max(run.reportedUser, used.user);
    run.reportedSystem = Math.max(run.reportedSystem, used.system);
  }
}
