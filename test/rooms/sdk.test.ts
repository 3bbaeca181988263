// A two-user conversation driven by matrix-js-sdk, the SDK behind Element Web, over
// HTTP: create, invite, join, chat, redact, leave, read the history back.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as sdk from "matrix-js-sdk";
import type { TestHomeserver } from "../support/homeserver.ts";
import { SdkClients } from "../support/sdk.ts";
import { registerUsers, startRoomsHomeserver, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let bob: Account;
const clients = new SdkClients();

beforeAll(async () => {
  // The SDK's own queues log through the root logger: keep the console quiet.
  clients.captureRootLogger();
  t = await startRoomsHomeserver();
  [alice, bob] = await registerUsers(t, "alice", "bob");
});
afterAll(() => t.stop());

const client = (a: Account) => clients.create(t.baseUrl, a);

test("two users chat with matrix-js-sdk", async () => {
  const a = client(alice);
  const b = client(bob);
  const { room_id: roomId } = await a.createRoom({ name: "SDK room", preset: sdk.Preset.PrivateChat });
  await a.invite(roomId, bob.userId);
  await b.joinRoom(roomId);
  expect((await b.getJoinedRooms()).joined_rooms).toContain(roomId);

  const hello = await a.sendTextMessage(roomId, "Hello Bob");
  const reply = await b.sendTextMessage(roomId, "Hi Alice");
  const oops = await a.sendTextMessage(roomId, "oops, wrong room");
  await a.redactEvent(roomId, oops.event_id, undefined, { reason: "mistake" });
  const members = await b.getJoinedRoomMembers(roomId);
  expect(Object.keys(members.joined).sort()).toEqual([alice.userId, bob.userId].sort());
  await b.leave(roomId);
  const after = await a.sendTextMessage(roomId, "Bob has gone");

  // History, newest first, as Element reads it when scrolling back.
  const page = await a.createMessagesRequest(roomId, null, 50, sdk.Direction.Backward);
  const messages = page.chunk.filter((e) => e.type === "m.room.message");
  expect(messages.map((e) => e.event_id)).toEqual([after.event_id, oops.event_id, reply.event_id, hello.event_id]);
  const redacted = page.chunk.find((e) => e.event_id === oops.event_id)!;
  expect(redacted.content).toEqual({});
  expect((redacted.unsigned as any).redacted_because.content.reason).toBe("mistake");
  expect(page.chunk.some((e) => e.type === "m.room.member" && (e as { state_key?: string }).state_key === bob.userId && e.content.membership === "leave")).toBe(true);

  // Bob, having left, reads the history up to his departure.
  const bobs = await b.createMessagesRequest(roomId, null, 50, sdk.Direction.Backward);
  const bobSees = bobs.chunk.filter((e) => e.type === "m.room.message").map((e) => e.event_id);
  expect(bobSees).toEqual([oops.event_id, reply.event_id, hello.event_id]);
  expect(bobSees).not.toContain(after.event_id);

  // Single event and context lookups through the SDK.
  const fetched = await a.fetchRoomEvent(roomId, reply.event_id);
  expect(fetched.content).toMatchObject({ body: "Hi Alice", msgtype: "m.text" });
  const state = await a.roomState(roomId);
  expect(state.find((e) => e.type === "m.room.name")?.content.name).toBe("SDK room");
  expect(clients.errors).toEqual([]);
});
