// RoomEvents.withRoomHeld: the holder builds events (ids known) and submits them later;
// meanwhile other sends to the room wait, then chain after what the holder submitted.
// A hold that ends without submitting leaves the room's head as it was.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver, txn, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let roomId: string;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice] = await registerUsers(t, "alice");
  roomId = (await clientFor(t, alice!)("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
});
afterAll(() => t.stop());

const yieldTurns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};
const send = (body: string) => clientFor(t, alice!)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body });
const prevEvents = async (eventId: string) => JSON.parse((await t.hs.services.rooms.stores.events.get(eventId))!.pdu).prev_events;

test("sends wait while the room is held and chain after the held event", async () => {
  const events = t.hs.services.rooms.events;
  let settled = 0;
  const { heldId, sends } = await events.withRoomHeld(roomId, async (held) => {
    const [built] = await held.build([{ type: "m.room.topic", stateKey: "", content: { topic: "held" }, sender: alice!.userId }]);
    const sends = [send("one"), send("two")].map((p) => p.finally(() => settled++));
    await yieldTurns(50);
    expect(settled).toBe(0);
    await held.submit([built!]);
    return { heldId: built!.eventId, sends };
  });
  const results = await Promise.all(sends);
  for (const r of results) expect(r.status).toBe(200);
  const [first, second] = results.map((r) => r.body.event_id as string);
  const chain = [heldId, first!, second!];
  // The sends went in after the held event, in either order.
  expect([[heldId], [first]]).toContainEqual(await prevEvents(second!));
  expect([[heldId], [second]]).toContainEqual(await prevEvents(first!));
  expect(new Set(chain).size).toBe(3);
  const topic = await clientFor(t, alice!)("GET", `/rooms/${enc(roomId)}/state/m.room.topic/`);
  expect(topic.body).toEqual({ topic: "held" });
});

test("a hold that ends without submitting undoes what it built", async () => {
  const before = (await send("before")).body.event_id as string;
  const events = t.hs.services.rooms.events;
  await expect(
    events.withRoomHeld(roomId, async (held) => {
      await held.build([{ type: "m.room.topic", stateKey: "", content: { topic: "never sent" }, sender: alice!.userId }]);
      throw new Error("changed my mind");
    }),
  ).rejects.toThrow("changed my mind");
  const after = (await send("after")).body.event_id as string;
  expect(await prevEvents(after)).toEqual([before]);
  const topic = await clientFor(t, alice!)("GET", `/rooms/${enc(roomId)}/state/m.room.topic/`);
  expect(topic.body).toEqual({ topic: "held" });
});
