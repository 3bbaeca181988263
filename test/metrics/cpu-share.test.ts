import { describe, expect, test } from "bun:test";
import { CpuShare } from "../../src/observability/metrics/cpu-share.ts";

/** A process CPU clock the test moves by hand (microseconds, like process.cpuUsage()). */
function fakeCpu() {
  const now = { user: 0, system: 0 };
  return {
    sample: () => ({ ...now }),
    burn(userMs: number, systemMs = 0) {
      now.user += userMs * 1000;
      now.system += systemMs * 1000;
    },
    rewind(userMs: number) {
      now.user -= userMs * 1000;
    },
  };
}

describe("CpuShare", () => {
  test("a unit running alone gets all the CPU used while it runs", () => {
    const cpu = fakeCpu();
    const share = new CpuShare(cpu.sample);
    cpu.burn(500); // before the unit: not attributed
    const mark = share.begin();
    cpu.burn(200, 100);
    const used = share.end(mark);
    expect(used.user).toBeCloseTo(0.2);
    expect(used.system).toBeCloseTo(0.1);
    expect(share.active).toBe(0);
  });

  test("concurrent units split the CPU evenly while they overlap", () => {
    const cpu = fakeCpu();
    const share = new CpuShare(cpu.sample);
    const a = share.begin();
    cpu.burn(100); // a alone
    const b = share.begin();
    cpu.burn(300); // a and b
    expect(share.since(a).user).toBeCloseTo(0.25);
    const usedA = share.end(a);
    cpu.burn(50); // b alone
    const usedB = share.end(b);
    expect(usedA.user).toBeCloseTo(0.25);
    expect(usedB.user).toBeCloseTo(0.2);
    expect(usedA.user + usedB.user).toBeCloseTo(0.45);
  });

  test("a CPU clock going backwards attributes nothing rather than a negative time", () => {
    const cpu = fakeCpu();
    cpu.burn(1000);
    const share = new CpuShare(cpu.sample);
    const mark = share.begin();
    cpu.rewind(10);
    expect(share.end(mark).user).toBe(0);
  });
});
