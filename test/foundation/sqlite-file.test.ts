// How the SQLite file is opened: by default this process holds its locks (no lock system
// calls per transaction), so another process cannot open it while Hearth runs; with
// `exclusive_lock: false` it can. Either way the WAL worker's connection shares the file
// and closes before the server's.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/storage/database.ts";
import { sqliteFileUri } from "../../src/storage/sqlite-file.ts";
import { capturedLogs } from "../support/logs.ts";

const dir = mkdtempSync(join(tmpdir(), "hearth-sqlite-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What another process gets when it reads the database: the row count, or the error. */
async function readFromAnotherProcess(path: string): Promise<string> {
  const script = `import { Database } from "bun:sqlite";
try { console.log(new Database(${JSON.stringify(path)}).query("SELECT count(*) AS n FROM t").get().n); }
catch (e) { console.log("error: " + e.message); }`;
  const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
  const out = (await new Response(proc.stdout).text()).trim();
  await proc.exited;
  return out;
}

for (const exclusiveLock of [true, false]) {
  test(`exclusive_lock ${exclusiveLock}: writes and WAL checkpoints work; another process ${exclusiveLock ? "cannot" : "can"} read meanwhile`, async () => {
    const path = join(dir, `${exclusiveLock}.db`);
    capturedLogs.length = 0;
    const db = await openDatabase({ kind: "sqlite", path, exclusiveLock }, { walCheckpoints: { commits: 5, intervalMs: 0 } });
    try {
      await db.execRaw(["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"]);
      for (let i = 0; i < 30; i++) await db.transaction("write", async () => void (await db.queryRaw("INSERT INTO t (v) VALUES (?)", [`row ${i}`])));
      expect(await db.queryRaw("SELECT count(*) AS n FROM t")).toEqual([{ n: 30 }]);
      const other = await readFromAnotherProcess(path);
      if (exclusiveLock) expect(other).toStartWith("error: database is locked");
      else expect(other).toBe("30");
    } finally {
      await db.close();
    }
    // The worker closed its connection first, so ours, the last, folded the WAL in and removed it.
    expect(existsSync(`${path}-wal`)).toBe(false);
    // Nothing went wrong on the way: no checkpoint failed, the worker stopped without an error.
    expect(capturedLogs.filter((r) => r.category.join(".") === "hearth.storage.wal").map((r) => r.message.join(""))).toEqual([]);
    // Closed, the file is anyone's, with every row in it.
    expect(await readFromAnotherProcess(path)).toBe("30");
  });
}

test("paths with characters a URI reserves are escaped", () => {
  expect(sqliteFileUri("/data/a?b#c%d.db", true)).toBe("file:/data/a%3Fb%23c%25d.db?vfs=unix-excl");
  expect(sqliteFileUri("/data/plain.db", false)).toBe("file:/data/plain.db");
});
