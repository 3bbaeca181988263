/**
 * Preload for bench/profile-send.ts (`bun --preload bench/support/count-statements.ts
 * bench/profile-send.ts` with PROFILE_THREADS=1): counts and times every SQLite statement
 * and exec by its SQL text, so the profile can print statements and microseconds per
 * request. A measuring aid only: it wraps bun:sqlite's Database for this process.
 */
import { Database } from "bun:sqlite";

const counts = new Map<string, [number, number]>();
(globalThis as { __sqlcounts?: typeof counts }).__sqlcounts = counts;

function record(key: string, started: number): void {
  const entry = counts.get(key) ?? [0, 0];
  entry[0]++;
  entry[1] += performance.now() - started;
  counts.set(key, entry);
}

const proto = Database.prototype as unknown as Record<string, (...args: unknown[]) => any>;
const prepare = proto.prepare!;
proto.prepare = function (this: unknown, sql: unknown, ...rest: unknown[]) {
  const statement = prepare.call(this, sql, ...rest);
  const key = String(sql).replace(/\s+/g, " ").slice(0, 110);
  for (const method of ["all", "run", "get", "values"]) {
    const original = statement[method].bind(statement);
    statement[method] = (...args: unknown[]) => {
      const started = performance.now();
      try {
        return original(...args);
      } finally {
        record(key, started);
      }
    };
  }
  return statement;
};
const exec = proto.exec!;
proto.exec = function (this: unknown, sql: unknown, ...rest: unknown[]) {
  const started = performance.now();
  try {
    return exec.call(this, sql, ...rest);
  } finally {
    record(`exec ${String(sql).slice(0, 40)}`, started);
  }
};
