import { expect, test } from "bun:test";
import { IdlePoll } from "../../src/http/idle-poll.ts";
import { parseConfig } from "../../src/config/load.ts";

/** An IdlePoll on a hand-moved clock whose scheduled turns run when `turn` is called. */
function harness(windowUs: number) {
  let now = 1_000;
  const queued: Array<() => void> = [];
  const poll = new IdlePoll(windowUs, () => now, (fn) => queued.push(fn));
  return {
    poll,
    advanceUs: (us: number) => (now += us / 1000),
    /** Runs the turns scheduled so far; returns how many ran. */
    turn: () => {
      const due = queued.splice(0);
      for (const fn of due) fn();
      return due.length;
    },
  };
}

test("a request long after the last response is answered without polling", () => {
  const h = harness(200);
  h.poll.requestArrived();
  h.poll.responded();
  expect(h.poll.polling).toBe(false);
  expect(h.turn()).toBe(0);
  h.advanceUs(5_000);
  h.poll.requestArrived();
  h.poll.responded();
  expect(h.poll.polling).toBe(false);
});

test("back-to-back requests keep the loop polling until a window after the last response", () => {
  const h = harness(200);
  h.poll.requestArrived();
  h.poll.responded();
  h.advanceUs(90);
  h.poll.requestArrived();
  h.advanceUs(300);
  h.poll.responded();
  expect(h.poll.polling).toBe(true);
  // Each turn schedules the next while the window lasts.
  h.advanceUs(150);
  expect(h.turn()).toBe(1);
  expect(h.poll.polling).toBe(true);
  h.advanceUs(60);
  expect(h.turn()).toBe(1);
  expect(h.poll.polling).toBe(false);
  expect(h.turn()).toBe(0);
});

test("a response while polling extends the window without a second loop", () => {
  const h = harness(200);
  h.poll.requestArrived();
  h.poll.responded();
  h.advanceUs(50);
  h.poll.requestArrived();
  h.poll.responded();
  h.advanceUs(150);
  h.poll.requestArrived();
  h.poll.responded();
  h.advanceUs(150);
  // One loop, still inside the window of the latest response.
  expect(h.turn()).toBe(1);
  expect(h.poll.polling).toBe(true);
  h.advanceUs(100);
  h.turn();
  expect(h.poll.polling).toBe(false);
});

test("a window of 0 never polls", () => {
  const h = harness(0);
  for (let i = 0; i < 3; i++) {
    h.poll.requestArrived();
    h.poll.responded();
  }
  expect(h.poll.polling).toBe(false);
  expect(h.turn()).toBe(0);
});

test("on the real event loop the polling stops by itself", async () => {
  const poll = new IdlePoll(2_000);
  poll.requestArrived();
  poll.responded();
  poll.requestArrived();
  poll.responded();
  expect(poll.polling).toBe(true);
  await Bun.sleep(20);
  expect(poll.polling).toBe(false);
});

test("idle_poll_us defaults to 200 µs and is checked", () => {
  const base = { server_name: "example.org" };
  expect(parseConfig(base, "/tmp/homeserver.yaml").config.idle_poll_us).toBe(200);
  expect(parseConfig({ ...base, idle_poll_us: 0 }, "/tmp/homeserver.yaml").config.idle_poll_us).toBe(0);
  expect(() => parseConfig({ ...base, idle_poll_us: -5 }, "/tmp/homeserver.yaml")).toThrow(/idle_poll_us/);
});
