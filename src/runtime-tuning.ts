// Settings of Bun's engine and allocator that only the environment can give: both read it
// once, as the process starts. A serving `hearth` restarts itself in place with the ones
// the environment lacks (execve: the same pid, so a service manager sees one process).
// Side by side on a 2-core VM (README, session 15), one sender's sends per second rose
// 6-16% (medians of three runs), ten senders' 0-15%; the idle footprint and the room
// upgrade did not change beyond the noise. The restart costs ~45 ms of start-up.
import { readFileSync } from "node:fs";

/**
 * What the restart adds. An admin's own value of any of these wins.
 * - JavaScriptCore pre-faults fresh heap blocks on a warm-up thread. Where page faults and
 *   the TLB flushes of memory handed back are dear (virtual machines), that thread held the
 *   event loop up: half of one sender's stalls of 0.4-20 ms went with it.
 * - mimalloc hands freed memory back to the kernel 100 ms after it is freed, and a busy
 *   server then faults it in again; after a second instead, a busy server keeps it while an
 *   idle one still shrinks back within a second.
 */
export const RUNTIME_TUNING: Readonly<Record<string, string>> = {
  BUN_JSC_useWarmUpMarkedBlocks: "0",
  MIMALLOC_PURGE_DELAY: "1000",
};

/** Set in the restarted process, which never restarts again; set it to start without the tuning. */
export const TUNED_MARKER = "HEARTH_RUNTIME_TUNED";

/** The environment to restart with, or null when there is nothing to add or restarting is off. */
export function tunedEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> | null {
  if (env[TUNED_MARKER] !== undefined) return null;
  const missing = Object.entries(RUNTIME_TUNING).filter(([name]) => env[name] === undefined);
  if (missing.length === 0) return null;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  for (const [name, value] of missing) out[name] = value;
  out[TUNED_MARKER] = "1";
  return out;
}

export interface RunningProcess {
  /** The argument vector exactly as the process was started (Linux's /proc/self/cmdline). */
  startedArgv?: readonly string[];
  execPath: string;
  /** Bun's own flags (e.g. --preload), which the restart keeps. */
  execArgv: readonly string[];
  argv: readonly string[];
  /** Bun.main: under /$bunfs/ in a `bun build --compile` executable. */
  main: string;
  env: Readonly<Record<string, string | undefined>>;
  execve?: (file: string, args: string[], env: Record<string, string>) => never;
}

/**
 * The argument vector that runs this program again with the same arguments: the one it
 * was started with where known, so `ps` and `pkill -f` see the same command line.
 */
export function restartArgv(p: RunningProcess): string[] {
  if (p.startedArgv && p.startedArgv.length > 0) return [...p.startedArgv];
  // A compiled executable runs its embedded entry point and puts it back into argv itself.
  if (p.main.startsWith("/$bunfs")) return [p.execPath, ...p.argv.slice(2)];
  return [p.execPath, ...p.execArgv, ...p.argv.slice(1)];
}

/**
 * Restarts this process in place with RUNTIME_TUNING when its environment lacks some of
 * it; returns only when it does not restart (nothing missing, turned off, no execve on
 * this platform, or the restart failed, which `warn` reports). Call it before loading
 * anything else, which would load twice.
 */
export function applyRuntimeTuning(p: RunningProcess = currentProcess(), warn: (message: string) => void = console.warn): void {
  const env = tunedEnvironment(p.env);
  if (env === null || typeof p.execve !== "function") return;
  try {
    p.execve(p.execPath, restartArgv(p), env);
  } catch (err) {
    // The process is still the old image: it serves as it is.
    warn(`hearth: running without the runtime tuning (could not restart: ${(err as Error).message})`);
  }
}

function currentProcess(): RunningProcess {
  const execve = process.platform === "win32" ? undefined : (process as { execve?: RunningProcess["execve"] }).execve?.bind(process);
  return { startedArgv: startedArgv(), execPath: process.execPath, execArgv: process.execArgv, argv: process.argv, main: Bun.main, env: process.env, execve };
}

function startedArgv(): string[] | undefined {
  try {
    const parts = readFileSync("/proc/self/cmdline", "utf8").split("\0");
    if (parts.at(-1) === "") parts.pop();
    return parts;
  } catch {
    return undefined;
  }
}
