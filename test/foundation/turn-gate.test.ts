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
