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

describe("CpuShare reusing a recent sample", () => {
  function clocked() {
    const cpu = fakeCpu();
    let now = 0;
    let samples = 0;
    const share = new CpuShare(
      () => {
        samples++;
        return cpu.sample();
      },
      { withinMs: 0.05, now: () => now },
    );
    return { cpu, share, advance: (ms: number) => (now += ms), samples: () => samples };
  }

  test("units beginning together read the clock once, and the totals still add up", () => {
    const { cpu, share, advance, samples } = clocked();
    const before = samples();
    const marks = [share.begin(), share.begin(), share.begin()];
    expect(samples() - before).toBe(1);
    cpu.burn(300);
    advance(1);
    const used = marks.map((m) => share.end(m).user);
    // The first end reads the clock; the others come within the window and reuse it.
    expect(used[0]).toBeCloseTo(0.1);
    expect(used.reduce((a, b) => a + b, 0)).toBeCloseTo(0.3);
  });

  test("the last unit to end reads the clock, so its CPU is not lost", () => {
    const { cpu, share, advance } = clocked();
    const a = share.begin();
    const b = share.begin();
    cpu.burn(100);
    advance(1);
    share.end(a); // reads: a and b get 0.05 each
    cpu.burn(40); // b alone, within the window
    advance(0.01);
    expect(share.end(b).user).toBeCloseTo(0.09);
  });

  test("a unit beginning after the window reads the clock afresh", () => {
    const { cpu, share, advance, samples } = clocked();
    const a = share.begin();
    cpu.burn(100);
    advance(0.2);
    const before = samples();
    const b = share.begin();
    expect(samples() - before).toBe(1);
    cpu.burn(100);
    advance(1);
    expect(share.end(a).user).toBeCloseTo(0.15);
    expect(share.end(b).user).toBeCloseTo(0.05);
  });
});
