import type { Database as SQLiteDriver } from "bun:sqlite";
import { getLogger } from "@logtape/logtape";

/**
 * Moves SQLite's WAL checkpoints off the event loop. With the default automatic
 * checkpoint, every ~1000 WAL pages one COMMIT copies the pages back into the database
 * file and syncs it: several milliseconds on the one thread that serves requests, over
 * half of all commit time when events are sent one by one. Here the connection never
 * checkpoints itself; every `every` commits a worker thread with its own connection runs
 * PASSIVE checkpoints, which never block the writer, until few frames were committed
 * during the last one; then the connection copies those few (milliseconds, mostly the
 * file sync), so the next transaction can start the WAL over. The worker starts with the first checkpoint,
 * so short-lived servers (tests) never start one. If it cannot start, or falls far
 * behind, the connection checkpoints itself as before.
 */
export class WalCheckpointer {
  #commits = 0;
  #worker: Worker | undefined;
  #inFlight = false;
  #behind = 0;
  #failed = false;
  #closed = false;

  constructor(
    private readonly client: SQLiteDriver,
    private readonly path: string,
    private readonly every = 200,
  ) {
    client.exec("PRAGMA wal_autocheckpoint = 0");
  }

  /** Call after each committed write transaction. */
  committed(): void {
    if (++this.#commits % this.every !== 0 || this.#closed) return;
    if (this.#failed) return void this.#checkpointHere();
    if (this.#inFlight) {
      // The worker has not finished the last one for `every` × 10 commits: do not let the WAL grow.
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
    worker.postMessage({ open: this.path });
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
    db = new Database(m.open);
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
    self.close();
  }
};
`;
