import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, createRoomAs, enc, expectStatus, registerUsers, roomPath as room, startRoomsHomeserver, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let bob: Account;
let carol: Account;
let dave: Account;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice, bob, carol, dave] = await registerUsers(t, "alice", "bob", "carol", "dave");
});
afterAll(() => t.stop());

const as = (who: Account) => clientFor(t, who);

async function membershipOf(roomId: string, userId: string): Promise<string | undefined> {
  const res = await as(alice)("GET", `${room(roomId)}/state/m.room.member/${enc(userId)}`);
  return res.status === 200 ? res.body.membership : undefined;
}

const createRoom = (body: Record<string, unknown> = {}) => createRoomAs(as(alice), body);

describe("membership transitions", () => {
  test("invite-only room: join needs an invite; invite, join, leave, rejoin", async () => {
    const roomId = await createRoom({ preset: "private_chat" });
    expectStatus(await as(bob)("POST", `${room(roomId)}/join`, {}), 403, "M_FORBIDDEN");
    expectStatus(await as(carol)("POST", `${room(roomId)}/invite`, { user_id: bob.userId }), 403, "M_FORBIDDEN");

    expectStatus(await as(alice)("POST", `${room(roomId)}/invite`, { user_id: bob.userId, reason: "welcome" }), 200);
    expect(await membershipOf(roomId, bob.userId)).toBe("invite");
    // The same invite again changes nothing and succeeds.
    expectStatus(await as(alice)("POST", `${room(roomId)}/invite`, { user_id: bob.userId, reason: "welcome" }), 200);

    const joined = await as(bob)("POST", `/join/${enc(roomId)}`, {});
    expectStatus(joined, 200);
    expect(joined.body.room_id).toBe(roomId);
    expect(await membershipOf(roomId, bob.userId)).toBe("join");
    expect((await as(bob)("GET", "/joined_rooms")).body.joined_rooms).toContain(roomId);
    expectStatus(await as(alice)("POST", `${room(roomId)}/invite`, { user_id: bob.userId }), 403, "M_FORBIDDEN");

    expectStatus(await as(bob)("POST", `${room(roomId)}/leave`, {}), 200);
    expect(await membershipOf(roomId, bob.userId)).toBe("leave");
    expectStatus(await as(bob)("POST", `${room(roomId)}/leave`, {}), 200);
    expect((await as(bob)("GET", "/joined_rooms")).body.joined_rooms).not.toContain(roomId);
    expectStatus(await as(bob)("POST", `${room(roomId)}/join`, {}), 403);
  });

  test("an invitee can reject the invite by leaving; a stranger cannot leave", async () => {
    const roomId = await createRoom();
    expectStatus(await as(carol)("POST", `${room(roomId)}/leave`, {}), 403);
    await as(alice)("POST", `${room(roomId)}/invite`, { user_id: carol.userId });
    expectStatus(await as(carol)("POST", `${room(roomId)}/leave`, { reason: "no thanks" }), 200);
    const member = await as(alice)("GET", `${room(roomId)}/state/m.room.member/${enc(carol.userId)}`);
    expect(member.body).toEqual({ membership: "leave", reason: "no thanks" });
  });

  test("public room: anyone may join", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    expectStatus(await as(dave)("POST", `/join/${enc(roomId)}`, {}), 200);
    expect(await membershipOf(roomId, dave.userId)).toBe("join");
    // Joining again when joined with the same profile sends nothing new.
    const before = (await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=50`)).body.chunk.length;
    expectStatus(await as(dave)("POST", `${room(roomId)}/join`, {}), 200);
    expect((await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=50`)).body.chunk.length).toBe(before);
  });

  test("kick needs the kick level and a higher level than the target", async () => {
    const roomId = await createRoom({ preset: "public_chat", room_version: "11" });
    for (const u of [bob, carol]) expectStatus(await as(u)("POST", `${room(roomId)}/join`, {}), 200);
    expectStatus(await as(bob)("POST", `${room(roomId)}/kick`, { user_id: carol.userId }), 403);
    expectStatus(await as(bob)("POST", `${room(roomId)}/kick`, { user_id: alice.userId }), 403);
    expectStatus(await as(alice)("POST", `${room(roomId)}/kick`, { user_id: carol.userId, reason: "bye" }), 200);
    expect(await membershipOf(roomId, carol.userId)).toBe("leave");
    expectStatus(await as(alice)("POST", `${room(roomId)}/kick`, { user_id: dave.userId }), 403);
    // A moderator (50) cannot kick the admin (100) either.
    const pl = (await as(alice)("GET", `${room(roomId)}/state/m.room.power_levels/`)).body;
    pl.users[bob.userId] = 50;
    expectStatus(await as(alice)("PUT", `${room(roomId)}/state/m.room.power_levels/`, pl), 200);
    expectStatus(await as(bob)("POST", `${room(roomId)}/kick`, { user_id: alice.userId }), 403);
  });

  test("ban blocks joining and inviting until unban; unban needs the ban level", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    expectStatus(await as(carol)("POST", `${room(roomId)}/join`, {}), 200);
    expectStatus(await as(bob)("POST", `${room(roomId)}/join`, {}), 200);
    expectStatus(await as(bob)("POST", `${room(roomId)}/ban`, { user_id: carol.userId }), 403);
    expectStatus(await as(alice)("POST", `${room(roomId)}/ban`, { user_id: carol.userId, reason: "spam" }), 200);
    expect(await membershipOf(roomId, carol.userId)).toBe("ban");
    expectStatus(await as(carol)("POST", `${room(roomId)}/join`, {}), 403);
    expectStatus(await as(carol)("POST", `${room(roomId)}/leave`, {}), 403);
    expectStatus(await as(alice)("POST", `${room(roomId)}/invite`, { user_id: carol.userId }), 403);
    // Banning someone never in the room works too.
    expectStatus(await as(alice)("POST", `${room(roomId)}/ban`, { user_id: dave.userId }), 200);
    expectStatus(await as(bob)("POST", `${room(roomId)}/unban`, { user_id: carol.userId }), 403);
    expectStatus(await as(alice)("POST", `${room(roomId)}/unban`, { user_id: bob.userId }), 403);
    expectStatus(await as(alice)("POST", `${room(roomId)}/unban`, { user_id: carol.userId }), 200);
    expect(await membershipOf(roomId, carol.userId)).toBe("leave");
    expectStatus(await as(carol)("POST", `${room(roomId)}/join`, {}), 200);
  });

  test("knock: only on knock rooms, and an invite or join follows", async () => {
    const roomId = await createRoom({ initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }] });
    const invite = await createRoom();
    expectStatus(await as(bob)("POST", `/knock/${enc(invite)}`, {}), 403);
    const knocked = await as(bob)("POST", `/knock/${enc(roomId)}`, { reason: "let me in" });
    expectStatus(knocked, 200);
    expect(knocked.body.room_id).toBe(roomId);
    expect(await membershipOf(roomId, bob.userId)).toBe("knock");
    expectStatus(await as(bob)("POST", `${room(roomId)}/join`, {}), 403);
    // Rescinding a knock is leaving.
    expectStatus(await as(bob)("POST", `${room(roomId)}/leave`, {}), 200);
    expectStatus(await as(bob)("POST", `/knock/${enc(roomId)}`, {}), 200);
    expectStatus(await as(alice)("POST", `${room(roomId)}/invite`, { user_id: bob.userId }), 200);
    expectStatus(await as(bob)("POST", `${room(roomId)}/join`, {}), 200);
    expectStatus(await as(bob)("POST", `/knock/${enc(roomId)}`, {}), 403);
  });

  test("forget: refused while joined; afterwards the history is closed", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    await as(bob)("POST", `${room(roomId)}/join`, {});
    expectStatus(await as(bob)("POST", `${room(roomId)}/forget`, {}), 400);
    expectStatus(await as(bob)("GET", `${room(roomId)}/messages?dir=b`), 200);
    await as(bob)("POST", `${room(roomId)}/leave`, {});
    expectStatus(await as(bob)("GET", `${room(roomId)}/messages?dir=b`), 200);
    expectStatus(await as(bob)("POST", `${room(roomId)}/forget`, {}), 200);
    expectStatus(await as(bob)("GET", `${room(roomId)}/messages?dir=b`), 403);
    // Forgetting a room one was never in is a no-op.
    expectStatus(await as(dave)("POST", `${room(roomId)}/forget`), 200);
  });

  test("unknown rooms and aliases are 404; aliases resolve through the pluggable resolver", async () => {
    expectStatus(await as(bob)("POST", `/join/${enc("!nowhere:test.local")}`, {}), 404, "M_NOT_FOUND");
    expectStatus(await as(bob)("POST", `/join/${enc("#nowhere:test.local")}`, {}), 404, "M_NOT_FOUND");
    const roomId = await createRoom({ preset: "public_chat" });
    const rooms = t.hs.services.rooms;
    const previous = rooms.aliases;
    rooms.aliases = {
      resolve: async (alias) => (alias === "#somewhere:test.local" ? { roomId, servers: ["test.local"] } : null),
      checkAvailable: async () => {},
      create: async () => {},
    };
    try {
      const res = await as(bob)("POST", `/join/${enc("#somewhere:test.local")}`, {});
      expectStatus(res, 200);
      expect(res.body.room_id).toBe(roomId);
    } finally {
      rooms.aliases = previous;
    }
  });

  test("membership through PUT /state/m.room.member goes through the same rules", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    expectStatus(await as(bob)("PUT", `${room(roomId)}/state/m.room.member/${enc(bob.userId)}`, { membership: "join", displayname: "Bobby" }), 200);
    const member = await as(alice)("GET", `${room(roomId)}/state/m.room.member/${enc(bob.userId)}`);
    expect(member.body).toMatchObject({ membership: "join", displayname: "Bobby" });
    expectStatus(await as(bob)("PUT", `${room(roomId)}/state/m.room.member/${enc(carol.userId)}`, { membership: "join" }), 403);
    expectStatus(await as(bob)("PUT", `${room(roomId)}/state/m.room.member/${enc(bob.userId)}`, { membership: "dance" }), 400);
  });

  test("members and joined_members list the room's members with filters", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    await as(bob)("POST", `${room(roomId)}/join`, {});
    await as(alice)("POST", `${room(roomId)}/invite`, { user_id: carol.userId });
    await as(alice)("POST", `${room(roomId)}/ban`, { user_id: dave.userId });
    const all = await as(bob)("GET", `${room(roomId)}/members`);
    expectStatus(all, 200);
    const byUser = Object.fromEntries(all.body.chunk.map((e: any) => [e.state_key, e.content.membership]));
    expect(byUser).toEqual({ [alice.userId]: "join", [bob.userId]: "join", [carol.userId]: "invite", [dave.userId]: "ban" });
    const joined = await as(bob)("GET", `${room(roomId)}/members?membership=join`);
    expect(joined.body.chunk.map((e: any) => e.state_key).sort()).toEqual([alice.userId, bob.userId].sort());
    const notJoined = await as(bob)("GET", `${room(roomId)}/members?not_membership=join`);
    expect(notJoined.body.chunk.map((e: any) => e.state_key).sort()).toEqual([carol.userId, dave.userId].sort());
    const jm = await as(bob)("GET", `${room(roomId)}/joined_members`);
    expect(Object.keys(jm.body.joined).sort()).toEqual([alice.userId, bob.userId].sort());
    expectStatus(await as(carol)("GET", `${room(roomId)}/joined_members`), 403);
    expectStatus(await as(bob)("GET", `${room(roomId)}/members?membership=dancing`), 400);
  });

  test("members at a pagination token show the membership of that time", async () => {
    const roomId = await createRoom({ preset: "public_chat" });
    const before = (await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=1`)).body.start;
    await as(bob)("POST", `${room(roomId)}/join`, {});
    const then = await as(alice)("GET", `${room(roomId)}/members?at=${enc(before)}`);
    expectStatus(then, 200);
    expect(then.body.chunk.map((e: any) => e.state_key)).toEqual([alice.userId]);
    const now = await as(alice)("GET", `${room(roomId)}/members`);
    expect(now.body.chunk.length).toBe(2);
    expectStatus(await as(alice)("GET", `${room(roomId)}/members?at=garbage`), 400);
  });
});
