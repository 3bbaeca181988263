import { expect, test } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import { SQLITE_OPTIMIZE_INTERVAL_MS } from "../../src/storage/sqlite-optimize.ts";
import { startTestHomeserver } from "../support/homeserver.ts";

test.skipIf(Boolean(process.env.HEARTH_TEST_POSTGRES))("SQLite planner statistics are gathered at start and refreshed every six hours", async () => {
  const clock = new FakeClock();
  const t = await startTestHomeserver({ clock });
  try {
    const db = t.hs.services.database;
    // Statistics exist from the start, so the planner does not guess on big tables.
    const stats = await db.queryRaw<{ tbl: string }>("SELECT tbl FROM sqlite_stat1");
    expect(stats.length).toBeGreaterThan(0);
    const ran: string[] = [];
    const queryRaw = db.queryRaw.bind(db);
    db.queryRaw = (async (sql: string, params?: unknown[]) => {
      ran.push(sql);
      return queryRaw(sql, params);
    }) as typeof db.queryRaw;
    await clock.advance(SQLITE_OPTIMIZE_INTERVAL_MS - 1000);
    expect(ran).not.toContain("PRAGMA optimize");
    await clock.advance(1000);
    expect(ran).toContain("PRAGMA optimize");
  } finally {
    await t.stop();
  }
});
