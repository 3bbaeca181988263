// PostgreSQL runs parameterised statements prepared, up to a cap of distinct texts per
// homeserver; past the cap statements still run (unprepared), with the right results.
// Only meaningful on PostgreSQL: skipped on SQLite.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { migrateDatabase } from "../../src/storage/migrate.ts";
import { prepareTestHomeserver, TEST_POSTGRES_URL, type TestHomeserverBase } from "../support/homeserver.ts";

let base: TestHomeserverBase;
let database: Database;

beforeAll(async () => {
  if (!TEST_POSTGRES_URL) return;
  base = await prepareTestHomeserver();
  database = await openDatabase(base.config.database);
  await migrateDatabase(database, Date.now());
});
afterAll(async () => {
  if (!TEST_POSTGRES_URL) return;
  await database.close();
  await base.cleanup();
});

/** drizzle's PostgreSQL database (Db is typed as the SQLite flavour). */
const pg = {
  execute: (q: ReturnType<typeof sql>) =>
    (database.db as unknown as { execute(q: unknown): Promise<Array<Record<string, unknown>>> }).execute(q),
};

test.skipIf(!TEST_POSTGRES_URL)("well over the cap of distinct statement texts, every statement answers correctly, twice", async () => {
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 700; i++) {
      // A distinct text per i (the alias), with parameters, as list-building queries make.
      const rows = await pg.execute(sql`SELECT ${i}::int + ${round}::int AS ${sql.raw(`n${i}`)}`);
      expect(Number(rows[0]![`n${i}`])).toBe(i + round);
    }
  }
});

// drizzle asks postgres.js not to prepare the queries its builder makes (it prepares only
// named ones): run unprepared, each would take two round trips (parameter types first).
test.skipIf(!TEST_POSTGRES_URL)("a query of drizzle's builder with parameters runs as a prepared statement", async () => {
  // A database of its own: the test above used up this one's cap.
  const fresh = await openDatabase(base.config.database);
  try {
    const users = fresh.tables.users;
    const marker = `@prepared-${Date.now()}:example.org`;
    const statements = await fresh.transaction("prepared_check", async (tx) => {
      await tx.select({ userId: users.userId }).from(users).where(sql`${users.userId} = ${marker}`);
      return (tx as unknown as typeof pg).execute(sql`SELECT statement FROM pg_prepared_statements`);
    });
    expect(statements.some((r) => String(r.statement).includes('from "users" where'))).toBe(true);
  } finally {
    await fresh.close();
  }
});
