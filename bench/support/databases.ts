import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";

/** The homeserver.yaml `database` section a benchmark run uses. */
export type DatabaseSection = Record<string, unknown>;

/**
 * Runs a benchmark on SQLite, then on PostgreSQL when HEARTH_BENCH_POSTGRES holds a
 * URL (in a schema it creates and drops), and returns every run's table rows.
 * BENCH_DATABASES=postgres (or sqlite) runs only that one.
 */
export async function runOnEachDatabase(
  name: string,
  run: (label: string, database: DatabaseSection, dir: string) => Promise<string[]>,
): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), `hearth-bench-${name}-`));
  const rows: string[] = [];
  try {
    const only = process.env.BENCH_DATABASES?.split(",");
    if (!only || only.includes("sqlite")) rows.push(...(await run("SQLite", { name: "sqlite3", args: { database: join(dir, "bench.db") } }, dir)));
    const pgUrl = process.env.HEARTH_BENCH_POSTGRES;
    if (pgUrl && (!only || only.includes("postgres"))) {
      const schema = `hearth_bench_${name}_${process.pid}`;
      const admin = postgres(pgUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`CREATE SCHEMA "${schema}"`);
      try {
        rows.push(...(await run("PostgreSQL", { name: "psycopg2", args: { url: pgUrl, schema, cp_min: 1, cp_max: 10 } }, dir)));
      } finally {
        await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
