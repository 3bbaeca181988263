// Joins under the restricted and knock_restricted join rules, and rooms an admin blocked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, createRoomAs, enc, expectStatus, registerAdmin, registerUsers, roomPath as room, startRoomsHomeserver, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let bob: Account;
let carol: Account;
let admin: Account;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice, bob, carol] = await registerUsers(t, "alice", "bob", "carol");
  admin = await registerAdmin(t);
});
afterAll(() => t.stop());

const as = (who: Account) => clientFor(t, who);

const createRoom = (body: Record<string, unknown> = {}, who = alice) => createRoomAs(as(who), body);

function restrictedRoom(rule: "restricted" | "knock_restricted", allowed: string, version = "12") {
  return createRoom({
    room_version: version,
    preset: "private_chat",
    initial_state: [{ type: "m.room.join_rules", content: { join_rule: rule, allow: [{ type: "m.room_membership", room_id: allowed }] } }],
  });
}

describe("restricted joins", () => {
  for (const version of ["10", "11", "12"]) {
    test(`v${version}: a member of an allowed room joins, authorised by a local member who can invite`, async () => {
      const space = await createRoom({ room_version: version, preset: "public_chat", creation_content: { type: "m.space" } });
      const roomId = await restrictedRoom("restricted", space, version);

      const refused = await as(bob)("POST", `${room(roomId)}/join`, {});
      expectStatus(refused, 403, "M_FORBIDDEN");
      expect(refused.body.error).toBe("You do not belong to any of the required rooms/spaces to join this room.");

      expectStatus(await as(bob)("POST", `${room(space)}/join`, {}), 200);
      expectStatus(await as(bob)("POST", `/join/${enc(roomId)}`, {}), 200);
      const member = await as(alice)("GET", `${room(roomId)}/state/m.room.member/${enc(bob.userId)}?format=event`);
      expect(member.body.content).toMatchObject({ membership: "join", join_authorised_via_users_server: alice.userId });
      expect(member.body.sender).toBe(bob.userId);

      // Leaving and coming back goes through the same rule.
      await as(bob)("POST", `${room(roomId)}/leave`, {});
      expectStatus(await as(bob)("POST", `${room(roomId)}/join`, {}), 200);
      // An invited user needs no authoriser.
      await as(alice)("POST", `${room(roomId)}/invite`, { user_id: carol.userId });
      expectStatus(await as(carol)("POST", `${room(roomId)}/join`, {}), 200);
      const carolMember = await as(alice)("GET", `${room(roomId)}/state/m.room.member/${enc(carol.userId)}`);
      expect(carolMember.body.join_authorised_via_users_server).toBeUndefined();
    });
  }

  test("knock_restricted: members of the allowed room join, others may knock", async () => {
    const space = await createRoom({ preset: "public_chat" });
    const roomId = await restrictedRoom("knock_restricted", space);
    expectStatus(await as(carol)("POST", `${room(roomId)}/join`, {}), 403, "M_FORBIDDEN");
    expectStatus(await as(carol)("POST", `/knock/${enc(roomId)}`, {}), 200);
    await as(bob)("POST", `${room(space)}/join`, {});
    expectStatus(await as(bob)("POST", `${room(roomId)}/join`, {}), 200);
  });

  test("no local member with invite power: 400 M_UNABLE_TO_GRANT_JOIN", async () => {
    const space = await createRoom({ preset: "public_chat" });
    const roomId = await createRoom({
      room_version: "11",
      preset: "private_chat",
      power_level_content_override: { invite: 200 },
      initial_state: [{ type: "m.room.join_rules", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] } }],
    });
    await as(bob)("POST", `${room(space)}/join`, {});
    expectStatus(await as(bob)("POST", `${room(roomId)}/join`, {}), 400, "M_UNABLE_TO_GRANT_JOIN");
  });
});

describe("blocked rooms", () => {
  test("joins, invites and knocks are refused; leaving still works", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    const knockRoom = await createRoom({ initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }] });
    await as(bob)("POST", `${room(roomId)}/join`, {});
    const block = (id: string, blocked: boolean) =>
      t.request("PUT", `/_synapse/admin/v1/rooms/${enc(id)}/block`, { token: admin.accessToken, body: { block: blocked } });
    expectStatus(await block(roomId, true), 200);
    expectStatus(await block(knockRoom, true), 200);

    const refusals = [
      await as(carol)("POST", `${room(roomId)}/join`, {}),
      await as(carol)("POST", `/join/${enc(roomId)}`, {}),
      await as(alice)("POST", `${room(roomId)}/invite`, { user_id: carol.userId }),
      await as(carol)("POST", `/knock/${enc(knockRoom)}`, {}),
      await as(carol)("PUT", `${room(roomId)}/state/m.room.member/${enc(carol.userId)}`, { membership: "join" }),
    ];
    for (const res of refusals) {
      expectStatus(res, 403, "M_FORBIDDEN");
      expect(res.body.error).toBe("This room has been blocked on this server");
    }
    expectStatus(await as(bob)("POST", `${room(roomId)}/leave`, {}), 200);

    expectStatus(await block(roomId, false), 200);
    expectStatus(await as(carol)("POST", `${room(roomId)}/join`, {}), 200);
  });
});
