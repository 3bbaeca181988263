import type { Database, Db } from "../database.ts";
import { SqlExec } from "./sql-exec.ts";

interface Lookup {
  scope: string;
  roomId: string;
  txnId: string;
  resolve(eventId: string | undefined): void;
  reject(err: unknown): void;
}

/** Lookups per statement: each is an arm of one UNION ALL, so each uses the index. */
const MAX_PER_STATEMENT = 16;

const arm = (i: number) => `SELECT ${i} AS i, event_id FROM events WHERE txn_scope = ? AND room_id = ? AND txn_id = ?`;

/**
 * Which event a client's transaction id sent (index events_txn), for the send path.
 * Lookups asked for in one run of the microtask queue (requests the turn gate released
 * together) share one statement: on SQLite one read transaction, whose locks are four
 * system calls, instead of one each; on PostgreSQL one round trip.
 */
export class TxnLookups {
  readonly #sql: SqlExec;
  #wave: Lookup[] = [];
  readonly #texts = new Map<number, string>();

  constructor(private readonly database: Database) {
    this.#sql = new SqlExec(database);
  }

  eventFor(scope: string, roomId: string, txnId: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      if (this.#wave.push({ scope, roomId, txnId, resolve, reject }) === 1) queueMicrotask(() => void this.#run());
    });
  }

  /**
   * The events already sent with these transaction ids (undefined where none), read in
   * the caller's transaction `tx`: the writer checks the ids of a batch where it writes it.
   * Every statement is issued before this returns (SQLite runs them at once, PostgreSQL
   * in order on `tx`), so writes the caller issues next are not seen.
   */
  async inTransaction(tx: Db, txns: ReadonlyArray<{ scope: string; roomId: string; txnId: string }>): Promise<Array<string | undefined>> {
    const chunks: Array<Promise<Array<string | undefined>>> = [];
    for (let start = 0; start < txns.length; start += MAX_PER_STATEMENT) chunks.push(this.#query(tx, txns.slice(start, start + MAX_PER_STATEMENT)));
    return (await Promise.all(chunks)).flat();
  }

  async #run(): Promise<void> {
    const wave = this.#wave;
    this.#wave = [];
    for (let start = 0; start < wave.length; start += MAX_PER_STATEMENT) {
      const chunk = wave.slice(start, start + MAX_PER_STATEMENT);
      try {
        const found = await this.#query(this.database.db, chunk);
        chunk.forEach((l, i) => l.resolve(found[i]));
      } catch (err) {
        for (const l of chunk) l.reject(err);
      }
    }
  }

  /** One statement for at most MAX_PER_STATEMENT lookups. */
  async #query(tx: Db, chunk: ReadonlyArray<{ scope: string; roomId: string; txnId: string }>): Promise<Array<string | undefined>> {
    const params = chunk.flatMap((l) => [l.scope, l.roomId, l.txnId]);
    const rows = await this.#sql.rows<{ i: number | string; event_id: string }>(tx, this.#text(chunk.length), params);
    const found = new Map<number, string>();
    for (const row of rows) if (!found.has(Number(row.i))) found.set(Number(row.i), row.event_id);
    return chunk.map((_, i) => found.get(i));
  }

  #text(n: number): string {
    let text = this.#texts.get(n);
    if (text === undefined) {
      text = Array.from({ length: n }, (_, i) => arm(i)).join(" UNION ALL ");
      this.#texts.set(n, text);
    }
    return text;
  }
}
