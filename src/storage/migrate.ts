import type { Database } from "./database.ts";
import { sqliteMigrations, postgresMigrations, type Migration } from "./migrations.generated.ts";

export class SchemaTooNewError extends Error {}

export interface MigrationResult {
  applied: string[];
  version: number;
}

/**
 * Brings the schema up to date with the migrations embedded in this build.
 * A database that has migrations this build does not know was written by a
 * newer Hearth: refuse it rather than run against a schema we do not understand.
 */
export async function migrateDatabase(database: Database, nowMs: number): Promise<MigrationResult> {
  const migrations: Migration[] = database.dialect === "sqlite" ? sqliteMigrations : postgresMigrations;
  await database.execRaw([
    `CREATE TABLE IF NOT EXISTS hearth_schema_migrations (idx INTEGER PRIMARY KEY, tag TEXT NOT NULL, applied_ts BIGINT NOT NULL)`,
  ]);
  const rows = await database.queryRaw<{ idx: number | string; tag: string }>(
    "SELECT idx, tag FROM hearth_schema_migrations ORDER BY idx",
  );
  const done = rows.map((r) => ({ idx: Number(r.idx), tag: r.tag }));
  const unknown = done.filter((r) => r.idx >= migrations.length || migrations[r.idx]!.tag !== r.tag);
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `The database has schema migration ${unknown[0]!.idx} (${unknown[0]!.tag}), which this version of Hearth ` +
        `does not know (it knows ${migrations.length}). It was written by a newer Hearth; run that version, ` +
        `or restore a backup. Refusing to start so the data is not damaged.`,
    );
  }
  const applied: string[] = [];
  for (let i = done.length; i < migrations.length; i++) {
    const m = migrations[i]!;
    const statements = m.sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean);
    statements.push(
      `INSERT INTO hearth_schema_migrations (idx, tag, applied_ts) VALUES (${i}, '${m.tag.replace(/'/g, "''")}', ${Math.floor(nowMs)})`,
    );
    await database.execRaw(statements);
    applied.push(m.tag);
  }
  return { applied, version: migrations.length };
}
