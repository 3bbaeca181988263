import { describe, expect, test } from "bun:test";
import { measureBlock } from "../../src/observability/metrics/block-metrics.ts";
import { runInLogContext, currentUsage } from "../../src/observability/log-context.ts";
import { scrapeMetrics } from "../../src/observability/metrics/exposition.ts";
import { purgeServerSeries } from "../../src/observability/metrics/registry.ts";
import { parseExposition, valueOf } from "./exposition-parser.ts";

describe("measureBlock", () => {
  test("counts calls, time and the DB work of the block in the current context", async () => {
    await runInLogContext({ server_name: "block.test", request: "test" }, async () => {
      currentUsage()!.dbTxnCount = 5; // work before the block is not the block's
      const result = await measureBlock("block.test", "get_thing", async () => {
        currentUsage()!.dbTxnCount += 2;
        currentUsage()!.dbTxnDurationMs += 40;
        return 42;
      });
      expect(result).toBe(42);
      await expect(measureBlock("block.test", "get_thing", () => Promise.reject(new Error("no")))).rejects.toThrow("no");
    });
    const parsed = parseExposition(await scrapeMetrics());
    const l = { block_name: "get_thing", server_name: "block.test" };
    expect(valueOf(parsed, "synapse_util_metrics_block_count_total", l)).toBe(2);
    expect(valueOf(parsed, "synapse_util_metrics_block_db_txn_count_total", l)).toBe(2);
    expect(valueOf(parsed, "synapse_util_metrics_block_db_txn_duration_seconds_total", l)).toBeCloseTo(0.04);
    expect(valueOf(parsed, "synapse_util_metrics_block_time_seconds_total", l)).toBeGreaterThanOrEqual(0);
    purgeServerSeries("block.test");
  });
});
