// Databases as an earlier release left them, for tests of a migration's data changes.
import { expect } from "bun:test";
import type { Database } from "../../src/storage/database.ts";
import { postgresMigrations, sqliteMigrations, type Migration } from "../../src/storage/migrations.generated.ts";

/**
 * Applies (and records) every migration before the one whose tag ends with `tagSuffix`;
 * returns how many that was and how many migrations there are in all.
 */
export async function migrateToBefore(db: Database, tagSuffix: string): Promise<{ before: number; total: number }> {
  const migrations: Migration[] = db.dialect === "sqlite" ? sqliteMigrations : postgresMigrations;
  const before = migrations.findIndex((m) => m.tag.endsWith(tagSuffix));
  expect(before).toBeGreaterThan(0);
  await db.execRaw(["CREATE TABLE IF NOT EXISTS hearth_schema_migrations (idx INTEGER PRIMARY KEY, tag TEXT NOT NULL, applied_ts BIGINT NOT NULL)"]);
  for (let i = 0; i < before; i++) {
    const m = migrations[i]!;
    await db.execRaw([
      ...m.sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean),
      `INSERT INTO hearth_schema_migrations (idx, tag, applied_ts) VALUES (${i}, '${m.tag}', 0)`,
    ]);
  }
  return { before, total: migrations.length };
}
