// SQLite's WAL is checkpointed by a worker thread, not by the commits on the event loop.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database as SQLiteDriver } from "bun:sqlite";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { WalCheckpointer, type WalCheckpointSchedule } from "../../src/storage/wal-checkpointer.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(walCheckpoints?: WalCheckpointSchedule): Promise<{ database: Database; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-wal-"));
  dirs.push(dir);
  const path = join(dir, "homeserver.db");
  const database = await openDatabase({ kind: "sqlite", path }, { walCheckpoints });
  await database.execRaw(["CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"]);
  return { database, path };
}

/**
 * Commits one row at a time, letting the event loop run now and then as a serving
 * homeserver does (the worker's answers arrive as events; on a busy machine it may need
 * a few milliseconds).
 */
async function commits(database: Database, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    await database.transaction("test_insert", () => database.queryRaw("INSERT INTO t (id, body) VALUES (?, ?)", [i, "x".repeat(3000)]));
    if (i % 20 === 0) await Bun.sleep(i % 200 === 0 ? 20 : 0);
  }
}

/** Frames the WAL holds that are not yet in the database file, as another connection sees them. */
function uncheckpointedFrames(path: string): number {
  const other = new SQLiteDriver(path);
  try {
    const r = other.query("PRAGMA wal_checkpoint(PASSIVE)").get() as { log: number; checkpointed: number };
    return r.log - r.checkpointed;
  } finally {
    other.close();
  }
}

describe("WAL checkpoints", () => {
  test("commits never checkpoint themselves; the worker keeps the WAL short", async () => {
    // A short interval: this test's commits come faster than a second's worth of them would fit in 15 MB.
    const { database, path } = await open({ commits: 200, intervalMs: 20 });
    // Below the first worker checkpoint (after 200 commits) the WAL only grows.
    await commits(database, 0, 150);
    const grown = statSync(`${path}-wal`).size;
    expect(grown).toBeGreaterThan(150 * 3000);
    // Many more commits: with checkpoints only as a last resort the WAL passes 25 MB.
    await commits(database, 150, 6000);
    expect(statSync(`${path}-wal`).size).toBeLessThan(15 * 1024 * 1024);
    expect((await database.queryRaw<{ n: number }>("SELECT count(*) AS n FROM t"))[0]!.n).toBe(6150);
    await database.close();
  });

  test("closing lets the last connection fold the WAL into the database file and remove it", async () => {
    const { database, path } = await open();
    await commits(database, 0, 450);
    await database.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(uncheckpointedFrames(path)).toBe(0);
    const reopened = new SQLiteDriver(path);
    expect((reopened.query("SELECT count(*) AS n FROM t").get() as { n: number }).n).toBe(450);
    reopened.close();
  });

  test("a checkpoint waits for both its commits and its interval", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-wal-"));
    dirs.push(dir);
    const path = join(dir, "schedule.db");
    const client = new SQLiteDriver(path);
    client.exec("PRAGMA journal_mode = WAL");
    client.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    let now = 0;
    const checkpointer = new WalCheckpointer(client, path, { commits: 10, intervalMs: 1000 }, () => now);
    const write = (n: number) => {
      for (let i = 0; i < n; i++) {
        client.exec("INSERT INTO t DEFAULT VALUES");
        checkpointer.committed();
      }
    };
    write(9);
    expect(checkpointer.started).toBe(0);
    // The tenth commit starts the first checkpoint (none ran before it).
    write(1);
    expect(checkpointer.started).toBe(1);
    // Within the interval, however many commits: none.
    now = 999;
    write(50);
    expect(checkpointer.started).toBe(1);
    // Past it, the next commit starts one; then ten commits more are needed.
    now = 1000;
    write(1);
    expect(checkpointer.started).toBe(2);
    now = 5000;
    write(9);
    expect(checkpointer.started).toBe(2);
    write(1);
    expect(checkpointer.started).toBe(3);
    await checkpointer.close();
    client.close();
  });
});
