import { readdirSync, readFileSync } from "node:fs";

/** CPU milliseconds per thread of this process by thread id, with the thread's name (Linux /proc; empty elsewhere). */
export function threadTimes(): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime + stime, in clock ticks of 1/100 s.
      out.set(tid, { name, ms: (Number(fields[11]) + Number(fields[12])) * 10 });
    } catch {
      // the thread ended
    }
  }
  return out;
}

/**
 * CPU each kind of thread used since `before`, summed by thread name, the main thread as
 * "main", largest first: e.g. "main 640, Worker 160, JITWorker 130".
 */
export function threadCpuSince(before: Map<string, { name: string; ms: number }>): string {
  const byName = new Map<string, number>();
  for (const [tid, { name, ms }] of threadTimes()) {
    const used = ms - (before.get(tid)?.ms ?? 0);
    const key = tid === String(process.pid) ? "main" : name;
    if (used > 0) byName.set(key, (byName.get(key) ?? 0) + used);
  }
  return [...byName].sort((a, b) => b[1] - a[1]).map(([name, ms]) => `${name} ${ms}`).join(", ");
}
