import type { Database } from "../database.ts";
import { SqlExec } from "./sql-exec.ts";

interface Lookup {
  scope: string;
  roomId: string;
  txnId: string;
}

/** Lookups per statement: each is an arm of one UNION ALL, so each uses the index. */
const MAX_PER_STATEMENT = 16;

const arm = (i: number) => `SELECT ${i} AS i, event_id FROM events WHERE txn_scope = ? AND room_id = ? AND txn_id = ?`;

/**
 * Which event a client's transaction id sent (index events_txn). `eventFor` serves the
 * sends refused before they reach the writer (a retry while rate limited, say); `eventsFor`
 * the writer's batches the index refused.
 */
export class TxnLookups {
  readonly #sql: SqlExec;
  readonly #texts = new Map<number, string>();

  constructor(private readonly database: Database) {
    this.#sql = new SqlExec(database);
  }

  async eventFor(scope: string, roomId: string, txnId: string): Promise<string | undefined> {
    return (await this.eventsFor([{ scope, roomId, txnId }]))[0];
  }

  /** The events already sent with these transaction ids (undefined where none). */
  async eventsFor(txns: readonly Lookup[]): Promise<Array<string | undefined>> {
    const chunks: Array<Promise<Array<string | undefined>>> = [];
    for (let start = 0; start < txns.length; start += MAX_PER_STATEMENT) {
      chunks.push(this.#query(txns.slice(start, start + MAX_PER_STATEMENT)));
    }
    return (await Promise.all(chunks)).flat();
  }

  /** One statement for at most MAX_PER_STATEMENT lookups. */
  async #query(chunk: readonly Lookup[]): Promise<Array<string | undefined>> {
    const params = chunk.flatMap((l) => [l.scope, l.roomId, l.txnId]);
    const rows = await this.#sql.rows<{ i: number | string; event_id: string }>(this.database.db, this.#text(chunk.length), params);
    // At most one row per arm: the index events_txn is unique.
    const found = new Map<number, string>();
    for (const row of rows) found.set(Number(row.i), row.event_id);
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
