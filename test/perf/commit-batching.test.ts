// Sends that arrive while a batch gathers share its commit. Concurrent senders arrive in
// turns of the event loop, not all at once: requests that came a turn later than the
// first batch's must still join it, or each commit carries half of them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { gatherBehind } from "../../src/rooms/event-writer.ts";
import { TEST_POSTGRES_URL, type TestHomeserver } from "../support/homeserver.ts";
import { clientFor, createRoom, enc, join, registerUsers, startSyncHomeserver } from "../sync/helpers.ts";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test("the gather waits while the gate holds requests, at most the turns it was given", async () => {
  let turns = 0;
  let holdFor = 2;
  const gate = {
    get holding() {
      return turns < holdFor;
    },
  };
  const count = async (fn: () => Promise<void>) => {
    turns = 0;
    let done = false;
    const finished = fn().then(() => (done = true));
    while (!done) {
      await nextTurn();
      turns++;
    }
    await finished;
    return turns;
  };
  // Held for two more turns after the first: three in all.
  const held = await count(gatherBehind(gate, 5));
  expect(held).toBeGreaterThanOrEqual(3);
  expect(held).toBeLessThanOrEqual(4);
  // Always holding: stops after its extra turns.
  holdFor = Number.POSITIVE_INFINITY;
  const bounded = await count(gatherBehind(gate, 2));
  expect(bounded).toBeGreaterThanOrEqual(3);
  expect(bounded).toBeLessThanOrEqual(4);
  // Never holding: one turn.
  holdFor = 0;
  expect(await count(gatherBehind(gate, 5))).toBeLessThanOrEqual(2);
  // Alone (the gate knows no other request in flight): the commit starts in this turn.
  let gathered = false;
  void gatherBehind({ holding: false, alone: true }, 5)().then(() => (gathered = true));
  for (let i = 0; i < 3; i++) await Promise.resolve();
  expect(gathered).toBe(true);
});


let t: TestHomeserver;
beforeAll(async () => {
  t = await startSyncHomeserver();
});
afterAll(() => t.stop());

// PostgreSQL answers over a socket, so its requests do not move in whole turns.
test.skipIf(Boolean(TEST_POSTGRES_URL))("sends that arrive a turn after a batch started gathering commit with it", async () => {
  const accounts = await registerUsers(t, "cb_alice", "cb_bob");
  const roomId = await createRoom(clientFor(t, accounts[0]!), { preset: "public_chat" });
  await join(clientFor(t, accounts[1]!), roomId);
  const send = (token: string, i: number) =>
    t.hs.fetch(
      new Request(`${t.baseUrl}/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/cb${i}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ msgtype: "m.text", body: `message ${i}` }),
      }),
      undefined,
      { remoteAddress: "127.0.0.1" },
    );
  let commits = 0;
  const stop = t.hs.services.database.stats.addListener((name) => void (name === "persist_events" && commits++));
  try {
    const first = [0, 1, 2, 3, 4].map((i) => send(accounts[i % 2]!.accessToken, i));
    // The second group arrives in the next turn, while the first builds and gathers.
    await nextTurn();
    const second = [5, 6, 7, 8, 9].map((i) => send(accounts[i % 2]!.accessToken, i));
    const responses = await Promise.all([...first, ...second]);
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(commits).toBe(1);
  } finally {
    stop();
  }
});
