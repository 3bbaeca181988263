import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let bob: Account;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice, bob] = await registerUsers(t, "alice", "bob");
});
afterAll(() => t.stop());

test("a profile change updates the member event in every joined room, and only there", async () => {
  const a = clientFor(t, alice);
  const joined1 = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  const joined2 = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  const left = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  await clientFor(t, bob)("POST", `/rooms/${enc(left)}/join`, {});
  await a("POST", `/rooms/${enc(left)}/leave`, {});

  expect((await a("PUT", `/profile/${enc(alice.userId)}/displayname`, { displayname: "Alice Liddell" })).status).toBe(200);
  expect((await a("PUT", `/profile/${enc(alice.userId)}/avatar_url`, { avatar_url: "mxc://test.local/alice" })).status).toBe(200);
  for (const roomId of [joined1, joined2]) {
    const member = await a("GET", `/rooms/${enc(roomId)}/state/m.room.member/${enc(alice.userId)}?format=event`);
    expect(member.body.content).toEqual({ membership: "join", displayname: "Alice Liddell", avatar_url: "mxc://test.local/alice" });
    expect(member.body.unsigned.prev_content.displayname).toBe("Alice Liddell");
    const jm = await a("GET", `/rooms/${enc(roomId)}/joined_members`);
    expect(jm.body.joined[alice.userId]).toEqual({ display_name: "Alice Liddell", avatar_url: "mxc://test.local/alice" });
  }
  const inLeft = await clientFor(t, bob)("GET", `/rooms/${enc(left)}/state/m.room.member/${enc(alice.userId)}`);
  expect(inLeft.body).toEqual({ membership: "leave" });
  // New joins carry the new profile.
  const later = (await a("POST", "/createRoom", {})).body.room_id;
  const member = await a("GET", `/rooms/${enc(later)}/state/m.room.member/${enc(alice.userId)}`);
  expect(member.body.displayname).toBe("Alice Liddell");
});
