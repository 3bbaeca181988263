// Transaction ids make a retried send return the first event; Synapse forgets them after
// 24 hours, and so does Hearth: a looping call deletes older ones in bounded batches, so
// event_txn_ids stays the size of a day's sends.
import { getLogger } from "@logtape/logtape";
import type { BackgroundProcesses } from "../observability/background.ts";
import type { Clock } from "../observability/clock.ts";
import type { EventTxnIdsStore } from "../storage/stores/event-txn-ids.ts";

const log = () => getLogger(["hearth", "rooms", "txn_ids"]);

export interface TxnIdRetention {
  /** How long a transaction id is remembered. */
  maxAgeMs: number;
  /** How often the prune runs. */
  intervalMs: number;
  /** Rows deleted per transaction. */
  batchSize: number;
  /** Transactions per run at most; a larger backlog waits for the next run. */
  maxBatches: number;
}

export const DEFAULT_TXN_ID_RETENTION: TxnIdRetention = {
  maxAgeMs: 24 * 60 * 60_000,
  intervalMs: 5 * 60_000,
  batchSize: 1000,
  maxBatches: 100,
};

export class TxnIdPruner {
  constructor(
    private readonly clock: Clock,
    private readonly store: EventTxnIdsStore,
    private readonly retention: TxnIdRetention = DEFAULT_TXN_ID_RETENTION,
  ) {}

  /** Starts the periodic prune (background process `prune_event_txn_ids`); returns its stop. */
  start(background: BackgroundProcesses): () => void {
    const loop = this.clock.loopingCall(this.retention.intervalMs, () => background.run("prune_event_txn_ids", () => this.prune()), {
      name: "prune_event_txn_ids",
    });
    return () => loop.stop();
  }

  /** Returns how many transaction ids were forgotten. */
  async prune(): Promise<number> {
    const { maxAgeMs, batchSize, maxBatches } = this.retention;
    const before = this.clock.now() - maxAgeMs;
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = await this.store.deleteOldest(before, batchSize);
      total += n;
      if (n < batchSize) break;
    }
    if (total > 0) log().info("Forgot {count} transaction ids older than a day", { count: total });
    return total;
  }
}
