import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The unit of work a log line belongs to. Properties are what logtape merges
 * into every record; `usage` is non-enumerable so sinks never dump it.
 */
export interface LogContextProps {
  server_name: string;
  /** `GET-17`, `startup`, `looping_call`, `<task>-<n>`... */
  request: string;
  [key: string]: unknown;
}

export interface ResourceUsage {
  dbTxnCount: number;
  dbTxnDurationMs: number;
  /** Time spent waiting for the database (SQLite's transaction queue, PostgreSQL's pool). */
  dbSchedMs: number;
}

/**
 * One AsyncLocalStorage for the process: logtape reads its implicit context
 * from it, so it must be the same instance that is handed to `configure()`.
 * Holding it at module level is deliberate; it carries no state of its own.
 */
export const logContextStorage = new AsyncLocalStorage<Record<string, unknown>>();

const USAGE = Symbol("usage");

export function runInLogContext<T>(props: LogContextProps, fn: () => T): T {
  const ctx: Record<string, unknown> = { ...props };
  Object.defineProperty(ctx, USAGE, {
    value: { dbTxnCount: 0, dbTxnDurationMs: 0, dbSchedMs: 0 } satisfies ResourceUsage,
    enumerable: false,
  });
  return logContextStorage.run(ctx, fn);
}

/** Leave any context: used for callbacks that must not inherit the caller's. */
export function runInSentinel<T>(fn: () => T): T {
  return logContextStorage.exit(fn);
}

export function currentLogContext(): LogContextProps | undefined {
  return logContextStorage.getStore() as LogContextProps | undefined;
}

export function currentUsage(): ResourceUsage | undefined {
  const ctx = logContextStorage.getStore() as Record<symbol, unknown> | undefined;
  return ctx?.[USAGE] as ResourceUsage | undefined;
}

/** Adds fields (e.g. the authenticated user) to the current request's context. */
export function annotateLogContext(fields: Record<string, unknown>): void {
  const ctx = logContextStorage.getStore();
  if (ctx) Object.assign(ctx, fields);
}
