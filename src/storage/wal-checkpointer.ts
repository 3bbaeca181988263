import type { Database as SQLiteDriver } from "bun:sqlite";
import { getLogger } from "@logtape/logtape";
import { SQLITE_OPEN_FLAGS } from "./sqlite-file.ts";

/**
 * Moves SQLite's WAL checkpoints off the event loop. With the default automatic
 * checkpoint, every ~1000 WAL pages one COMMIT copies the pages back into the database
 * file and syncs it: several milliseconds on the one thread that serves requests, over
 * half of all commit time when events are sent one by one. Here the connection never
 * checkpoints itself; a worker thread with its own connection runs PASSIVE checkpoints,
 * which never block the writer, until few frames were committed during the last one;
 * then the connection copies those few (milliseconds, mostly the file syncs), so the
 * next transaction can start the WAL over. The worker starts with the first checkpoint,
 * so short-lived servers (tests) never start one. If it cannot start, or falls far
 * behind, the connection checkpoints itself as before.
 *
 * A checkpoint starts after `schedule.commits` commits, and not sooner than
 * `schedule.intervalMs` after the previous one started: a busy writer's WAL then holds
 * about that long of its writes. Each checkpoint costs the event loop its final copy and
 * syncs, and copies a page once however often it changed (the leaves being appended to
 * change in every commit), so under load fewer, longer cycles cost less: one sender's
 * sends per second rose ~6% on a 2-core VM with ~2,000 commits a cycle instead of 200.
 */
export interface WalCheckpointSchedule {
  /** Commits between two checkpoints, at least. */
  commits: number;
  /** Milliseconds between the starts of two checkpoints, at least. */
  intervalMs: number;
}

export const DEFAULT_WAL_CHECKPOINTS: WalCheckpointSchedule = { commits: 200, intervalMs: 1000 };

export class WalCheckpointer {
  #commits = 0;
  #started = 0;
  #lastStart = Number.NEGATIVE_INFINITY;
  #worker: Worker | undefined;
  #inFlight = false;
  #behind = 0;
  #failed = false;
  #closed = false;

  constructor(
    private readonly client: SQLiteDriver,
    /** The database as the worker opens it: the URI of sqliteFileUri, the same VFS as `client`'s. */
    private readonly file: string,
    private readonly schedule: WalCheckpointSchedule = DEFAULT_WAL_CHECKPOINTS,
    /** Monotonic milliseconds. */
    private readonly now: () => number = () => performance.now(),
  ) {
    client.exec("PRAGMA wal_autocheckpoint = 0");
  }

  /** Checkpoints started so far. */
  get started(): number {
    return this.#started;
  }

  /** Call after each committed write transaction. */
  committed(): void {
    if (++this.#commits < this.schedule.commits || this.#closed) return;
    const now = this.now();
    if (now - this.#lastStart < this.schedule.intervalMs) return;
    this.#commits = 0;
    this.#lastStart = now;
    this.#started++;
    if (this.#failed) return void this.#checkpointHere();
    if (this.#inFlight) {
      // The worker has not finished the last one in ten cycles: do not let the WAL grow.
      if (++this.#behind >= 10) this.#checkpointHere();
      return;
    }
    try {
      this.#worker ??= this.#start();
      this.#inFlight = true;
      this.#worker.postMessage("checkpoint");
    } catch (err) {
      this.#fail(err);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (!worker) return;
    // Let the worker close its connection, so the last one to close (ours) cleans up the WAL.
    await new Promise<void>((resolve) => {
      worker.addEventListener("close", () => resolve());
      worker.postMessage("close");
    });
  }

  #start(): Worker {
    const worker = new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" })));
    worker.addEventListener("message", (e: MessageEvent) => {
      this.#inFlight = false;
      this.#behind = 0;
      if (e.data?.error) log().warn("WAL checkpoint failed: {error}", { error: e.data.error });
      // Frames committed while the worker ran are not in the database file yet, so the WAL
      // could never start over and would grow without end. Between transactions nothing
      // writes: copying those few frames here lets the next transaction restart the WAL.
      else if (!this.#closed) this.#checkpointHere();
    });
    worker.addEventListener("error", (e) => this.#fail((e as ErrorEvent).message));
    worker.postMessage({ open: this.file, flags: SQLITE_OPEN_FLAGS });
    // The worker must not keep the process alive on its own.
    worker.unref();
    return worker;
  }

  #fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#inFlight = false;
    log().warn("The WAL checkpoint worker is unavailable, checkpointing on the main connection: {error}", { error: err });
    this.#worker?.terminate();
    this.#worker = undefined;
    this.client.exec("PRAGMA wal_autocheckpoint = 1000");
  }

  #checkpointHere(): void {
    this.#behind = 0;
    this.client.query("PRAGMA wal_checkpoint(PASSIVE)").get();
  }
}

const log = () => getLogger(["hearth", "storage", "wal"]);

// A Blob URL rather than a file: it works the same in the single-file executable.
const WORKER_SOURCE = `
import { Database } from "bun:sqlite";
let db;
self.onmessage = (e) => {
  const m = e.data;
  if (m && m.open) {
    db = new Database(m.open, m.flags);
    db.exec("PRAGMA busy_timeout = 5000");
  } else if (m === "checkpoint") {
    try {
      // Frames committed during a pass are caught by the next one, so the connection is
      // left only the last few to copy (each copied frame there delays a request).
      let before = 0;
      for (let pass = 0; pass < 4; pass++) {
        const { log } = db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
        if (log - before < 32) break;
        before = log;
      }
      postMessage({ ok: true });
    } catch (err) {
      postMessage({ error: String(err) });
    }
  } else if (m === "close") {
    db?.close();
    // Ends this worker only (Bun's workers have no self.close()).
    process.exit(0);
  }
};
`;
