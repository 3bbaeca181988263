import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHomeserver, TEST_POSTGRES_URL, type TestHomeserver } from "../support/homeserver.ts";
import { runInLogContext, currentUsage } from "../../src/observability/log-context.ts";

let t: TestHomeserver;
beforeAll(async () => {
  t = await startTestHomeserver({ serverName: "sched.test" });
});
afterAll(() => t.stop());

describe("database scheduling time per unit of work", () => {
  // SQLite serialises transactions on one connection; PostgreSQL's pool would not make the second wait.
  test.skipIf(Boolean(TEST_POSTGRES_URL))("a transaction waiting behind another is charged its wait", async () => {
    const { database } = t.hs.services;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = database.transaction("holder", async () => {
      await held;
    });
    let waited = 0;
    const second = runInLogContext({ server_name: "sched.test", request: "GET-1" }, async () => {
      await database.transaction("waiter", async () => {});
      waited = currentUsage()!.dbSchedMs;
    });
    await Bun.sleep(30);
    release();
    await Promise.all([first, second]);
    expect(waited).toBeGreaterThanOrEqual(20);
  });
});
