import { describe, expect, test } from "bun:test";
import { ServerHistogram } from "../../src/observability/metrics/server-histogram.ts";
import { sqlVerb } from "../../src/observability/metrics/db-metrics.ts";
import { metricsRegistry } from "../../src/observability/metrics/registry.ts";
import { perServerCollectors } from "../../src/observability/metrics/collector.ts";
import { Ratelimiter } from "../../src/ratelimit/limiter.ts";
import { createRateLimiters } from "../../src/ratelimit/limiters.ts";
import { parseRateLimitConfig } from "../../src/ratelimit/config.ts";
import { FakeClock } from "../../src/observability/clock.ts";
import { parseExposition, valueOf } from "./exposition-parser.ts";

const exposition = async (name: string) => parseExposition(await metricsRegistry.getSingleMetricAsString(name));

describe("ServerHistogram", () => {
  const h = new ServerHistogram({ name: "hearth_test_server_histogram", help: "test", label: "verb", buckets: [0.1, 1] });

  test("cumulative buckets, sum and count per server and label", async () => {
    h.observe("a", 0.05, "SELECT");
    h.observe("a", 0.1, "SELECT"); // a bound is inclusive (le)
    h.observe("a", 5, "SELECT");
    h.observe("b", 0.5, "INSERT");
    const m = await exposition("hearth_test_server_histogram");
    expect(m.types.get("hearth_test_server_histogram")).toBe("histogram");
    const a = { server_name: "a", verb: "SELECT" };
    expect(valueOf(m, "hearth_test_server_histogram_bucket", { ...a, le: "0.1" })).toBe(2);
    expect(valueOf(m, "hearth_test_server_histogram_bucket", { ...a, le: "1" })).toBe(2);
    expect(valueOf(m, "hearth_test_server_histogram_bucket", { ...a, le: "+Inf" })).toBe(3);
    expect(valueOf(m, "hearth_test_server_histogram_count", a)).toBe(3);
    expect(valueOf(m, "hearth_test_server_histogram_sum", a)).toBeCloseTo(5.15);
    expect(valueOf(m, "hearth_test_server_histogram_bucket", { server_name: "b", verb: "INSERT", le: "0.1" })).toBe(0);
    expect(valueOf(m, "hearth_test_server_histogram_bucket", { server_name: "b", verb: "INSERT", le: "1" })).toBe(1);
  });

  test("a stopped server's series go with it", async () => {
    expect(perServerCollectors.has(h)).toBe(true);
    h.removeServer("a");
    const m = await exposition("hearth_test_server_histogram");
    expect(valueOf(m, "hearth_test_server_histogram_count", { server_name: "a", verb: "SELECT" })).toBeUndefined();
    expect(valueOf(m, "hearth_test_server_histogram_count", { server_name: "b", verb: "INSERT" })).toBe(1);
    h.removeServer("b");
  });
});

describe("sqlVerb", () => {
  test("is the first word in upper case, and OTHER for anything unexpected", () => {
    expect(sqlVerb('select "a" from "b"')).toBe("SELECT");
    expect(sqlVerb("\n  INSERT INTO x VALUES (?)")).toBe("INSERT");
    expect(sqlVerb("with recursive t(n) as (select 1) select * from t")).toBe("WITH");
    expect(sqlVerb("(select 1)")).toBe("OTHER");
    expect(sqlVerb("frobnicate everything")).toBe("OTHER");
    expect(sqlVerb("")).toBe("OTHER");
  });
});

describe("rate limiter refusals", () => {
  test("reach onReject once per refused ratelimit() call, never for allowed actions or checks", () => {
    const clock = new FakeClock();
    const rejected: string[] = [];
    const limiter = new Ratelimiter({ name: "rc_test", perSecond: 0.001, burstCount: 2, clock, onReject: (n) => rejected.push(n) });
    limiter.ratelimit({ key: "k" });
    limiter.ratelimit({ key: "k" });
    expect(rejected).toEqual([]);
    expect(() => limiter.ratelimit({ key: "k" })).toThrow();
    expect(limiter.canDoAction({ key: "k" }).allowed).toBe(false);
    expect(rejected).toEqual(["rc_test"]);
    limiter.stop();
  });

  test("createRateLimiters hands every limiter the option, named by its config key", () => {
    const clock = new FakeClock();
    const rejected: string[] = [];
    const config = parseRateLimitConfig({ rc_login: { address: { per_second: 0.001, burst_count: 1 } } });
    const limiters = createRateLimiters(config, clock, () => undefined, { onReject: (n) => rejected.push(n) });
    limiters.loginAddress.ratelimit({ key: "1.2.3.4" });
    expect(() => limiters.loginAddress.ratelimit({ key: "1.2.3.4" })).toThrow();
    expect(rejected).toEqual(["rc_login.address"]);
    limiters.stopAll();
  });
});
