import { expect, test } from "bun:test";
import { TurnGate } from "../../src/http/turn-gate.ts";

test("waits of one turn are released together, in the order they came", async () => {
  const gate = new TurnGate();
  const order: string[] = [];
  const first = gate.wait();
  expect(gate.wait()).toBe(first);
  const done = Promise.all(["a", "b", "c"].map((name) => gate.wait().then(() => order.push(name))));
  let released = false;
  void first.then(() => (released = true));
  // Not before the turn ends: the microtask queue alone does not release them.
  await Promise.resolve();
  await Promise.resolve();
  expect(released).toBe(false);
  await done;
  expect(order).toEqual(["a", "b", "c"]);
});

test("a wait after the release belongs to the next turn", async () => {
  const gate = new TurnGate();
  const first = gate.wait();
  await first;
  const second = gate.wait();
  expect(second).not.toBe(first);
  await second;
});

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test("a request that comes alone goes on at once; one that has company waits for the turn's end", async () => {
  const gate = new TurnGate();
  expect(gate.enter()).toBeUndefined();
  expect(gate.alone).toBe(true);
  // A second request in flight: it waits, and neither is alone.
  const second = gate.enter();
  expect(second).toBeInstanceOf(Promise);
  expect(gate.alone).toBe(false);
  await second;
  gate.leave();
  gate.leave();
  await nextTurn();
});

test("after a crowded turn the gate stays on for later turns, until requests have come alone for a while", async () => {
  const gate = new TurnGate();
  // Two arrivals in one turn (the first answered before the second came).
  expect(gate.enter()).toBeUndefined();
  gate.leave();
  const crowded = gate.enter();
  expect(crowded).toBeInstanceOf(Promise);
  await crowded;
  gate.leave();
  await nextTurn();
  // A lone request in a later turn still waits: ten senders answered together come back spread out.
  let gatedTurns = 0;
  for (let turn = 0; turn < 40; turn++) {
    const wait = gate.enter();
    if (wait) {
      gatedTurns++;
      expect(gate.alone).toBe(false);
      await wait;
    }
    gate.leave();
    await nextTurn();
  }
  expect(gatedTurns).toBeGreaterThan(4);
  expect(gatedTurns).toBeLessThan(40);
  // Remembered no longer: alone again.
  expect(gate.enter()).toBeUndefined();
  expect(gate.alone).toBe(true);
  gate.leave();
});

test("requests parked in a long poll do not count as company", async () => {
  let parked = 0;
  const gate = new TurnGate(() => parked);
  // An idle /sync: in flight, parked.
  expect(gate.enter()).toBeUndefined();
  parked = 1;
  await nextTurn();
  await nextTurn();
  // A send comes: alone but for the parked poll.
  expect(gate.enter()).toBeUndefined();
  expect(gate.alone).toBe(true);
  gate.leave();
  // The poll wakes and runs: it counts again.
  parked = 0;
  await nextTurn();
  const send = gate.enter();
  expect(send).toBeInstanceOf(Promise);
  await send;
  gate.leave();
  gate.leave();
});
