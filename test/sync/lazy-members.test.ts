import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import { LazyMembersCache } from "../../src/sync/lazy-members.ts";
import { login } from "../accounts/helpers.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { bodies, clientFor, enc, freshUsers, join, send, sharedRoom as joinedRoom, startSyncHomeserver, sync, type Client, type SyncUser } from "./helpers.ts";

let t: TestHomeserver;

beforeAll(async () => {
  t = await startSyncHomeserver();
});
afterAll(() => t.stop());

const users = (...names: string[]) => freshUsers(t, ...names);

/** The helpers' sharedRoom, then a few messages of the owner's, so a first sync's timeline (limit 5) holds none of the joins. */
async function sharedRoom(owner: Client, others: SyncUser[], body: Record<string, unknown> = {}): Promise<string> {
  const roomId = await joinedRoom(owner, others, body);
  for (let i = 0; i < 5; i++) await send(owner, roomId, `pad${i}`);
  return roomId;
}

const lazy = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ room: { timeline: { limit: 5 }, state: { lazy_load_members: true, ...extra } } });
const redundant = lazy({ include_redundant_members: true });

function memberKeys(room: any): string[] {
  return (room?.state?.events ?? []).filter((e: any) => e.type === "m.room.member").map((e: any) => e.state_key);
}

describe("lazy-loaded members without include_redundant_members", () => {
  test("a member event the device already received is not sent again; include_redundant_members sends it", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    // Named: no heroes, so the first sync carries only the members its timeline needs.
    const roomId = await sharedRoom(alice!.c, [bob!, carol!], { name: "Dedupe" });
    const first = await sync(bob!.c, { filter: lazy() });
    expect(memberKeys(first.rooms.join[roomId])).not.toContain(carol!.userId);

    await send(carol!.c, roomId, "c1");
    const second = await sync(bob!.c, { filter: lazy(), since: first.next_batch });
    expect(bodies(second.rooms.join[roomId].timeline.events)).toEqual(["c1"]);
    expect(memberKeys(second.rooms.join[roomId])).toEqual([carol!.userId]);

    await send(carol!.c, roomId, "c2");
    const third = await sync(bob!.c, { filter: lazy(), since: second.next_batch });
    expect(bodies(third.rooms.join[roomId].timeline.events)).toEqual(["c2"]);
    expect(memberKeys(third.rooms.join[roomId])).toEqual([]);

    // The same request with include_redundant_members gets carol's member event.
    const withRedundant = await sync(bob!.c, { filter: redundant, since: second.next_batch });
    expect(bodies(withRedundant.rooms.join[roomId].timeline.events)).toEqual(["c2"]);
    expect(memberKeys(withRedundant.rooms.join[roomId])).toEqual([carol!.userId]);
  });

  test("a client retrying with the token from before the response that carried a member gets it again", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    const roomId = await sharedRoom(alice!.c, [bob!, carol!], { name: "Retry" });
    const first = await sync(bob!.c, { filter: lazy() });
    await send(carol!.c, roomId, "c1");
    const lost = await sync(bob!.c, { filter: lazy(), since: first.next_batch });
    expect(memberKeys(lost.rooms.join[roomId])).toEqual([carol!.userId]);
    // That response never arrived: the client asks again from its old token.
    const retry = await sync(bob!.c, { filter: lazy(), since: first.next_batch });
    expect(memberKeys(retry.rooms.join[roomId])).toEqual([carol!.userId]);
  });

  test("member events seen in the timeline count as received", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    const roomId = await sharedRoom(alice!.c, [bob!], { name: "Timeline" });
    const first = await sync(bob!.c, { filter: lazy() });
    await alice!.c("POST", `/rooms/${enc(roomId)}/invite`, { user_id: carol!.userId });
    await join(carol!.c, roomId);
    const joined = await sync(bob!.c, { filter: lazy(), since: first.next_batch });
    const joinEvent = joined.rooms.join[roomId].timeline.events.find((e: any) => e.type === "m.room.member" && e.state_key === carol!.userId && e.content.membership === "join");
    expect(joinEvent).toBeDefined();
    await send(carol!.c, roomId, "I'm here");
    const spoke = await sync(bob!.c, { filter: lazy(), since: joined.next_batch });
    expect(bodies(spoke.rooms.join[roomId].timeline.events)).toEqual(["I'm here"]);
    expect(memberKeys(spoke.rooms.join[roomId])).toEqual([]);
  });

  test("a changed member event is sent again", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    const roomId = await sharedRoom(alice!.c, [bob!, carol!], { name: "Changed" });
    const first = await sync(bob!.c, { filter: lazy() });
    await send(carol!.c, roomId, "c1");
    const second = await sync(bob!.c, { filter: lazy(), since: first.next_batch });
    expect(memberKeys(second.rooms.join[roomId])).toEqual([carol!.userId]);
    // A new display name in a gap bob does not see: carol's member event at the start of the timeline differs.
    expect((await carol!.c("PUT", `/profile/${enc(carol!.userId)}/displayname`, { displayname: "Caroline" })).status).toBe(200);
    for (let i = 0; i < 6; i++) await send(alice!.c, roomId, `a${i}`);
    await send(carol!.c, roomId, "c2");
    const gappy = await sync(bob!.c, { filter: lazy(), since: second.next_batch });
    const room = gappy.rooms.join[roomId];
    expect(room.timeline.limited).toBe(true);
    const carolMember = room.state.events.find((e: any) => e.type === "m.room.member" && e.state_key === carol!.userId);
    expect(carolMember.content.displayname).toBe("Caroline");
  });

  test("the cache is per device, and an initial sync starts over", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    const roomId = await sharedRoom(alice!.c, [bob!, carol!], { name: "Devices" });
    const other = await login(t, bob!.userId);
    expect(other.status).toBe(200);
    const bob2 = clientFor(t, { userId: bob!.userId, accessToken: other.body.access_token, deviceId: other.body.device_id });
    const d1 = await sync(bob!.c, { filter: lazy() });
    const d2 = await sync(bob2, { filter: lazy() });
    await send(carol!.c, roomId, "c1");
    const d1b = await sync(bob!.c, { filter: lazy(), since: d1.next_batch });
    expect(memberKeys(d1b.rooms.join[roomId])).toEqual([carol!.userId]);
    // The other device never received it.
    const d2b = await sync(bob2, { filter: lazy(), since: d2.next_batch });
    expect(memberKeys(d2b.rooms.join[roomId])).toEqual([carol!.userId]);

    // An initial sync on device 1 (timeline of 1: alice's message, not carol's) forgets what it was sent.
    await send(alice!.c, roomId, "a1");
    const fresh = await sync(bob!.c, { filter: JSON.stringify({ room: { timeline: { limit: 1 }, state: { lazy_load_members: true } } }) });
    expect(memberKeys(fresh.rooms.join[roomId])).not.toContain(carol!.userId);
    await send(carol!.c, roomId, "c2");
    const after = await sync(bob!.c, { filter: lazy(), since: fresh.next_batch });
    expect(memberKeys(after.rooms.join[roomId])).toEqual([carol!.userId]);
  });
});

describe("LazyMembersCache", () => {
  const member = (stateKey: string, eventId: string) => ({ stateKey, eventId });

  test("knows an event only once the client synced from the response that carried it", () => {
    const cache = new LazyMembersCache(new FakeClock());
    cache.record("@u:x", "D", "!r:x", [member("@a:x", "$1")], 10);
    expect(cache.has("@u:x", "D", "!r:x", "@a:x", "$1", 9)).toBe(false);
    expect(cache.has("@u:x", "D", "!r:x", "@a:x", "$1", 10)).toBe(true);
    expect(cache.has("@u:x", "D", "!r:x", "@a:x", "$2", 10)).toBe(false);
    expect(cache.has("@u:x", "D", "!other:x", "@a:x", "$1", 10)).toBe(false);
    expect(cache.has("@u:x", "E", "!r:x", "@a:x", "$1", 10)).toBe(false);
    cache.reset("@u:x", "D");
    expect(cache.has("@u:x", "D", "!r:x", "@a:x", "$1", 10)).toBe(false);
  });

  test("is bounded per device and in devices, least recently used first, and forgets idle devices", async () => {
    const clock = new FakeClock();
    const cache = new LazyMembersCache(clock, { maxDevices: 2, maxMembersPerDevice: 2, idleMs: 60_000 });
    cache.record("@u:x", "D", "!r:x", [member("@a:x", "$a"), member("@b:x", "$b")], 1);
    expect(cache.has("@u:x", "D", "!r:x", "@a:x", "$a", 1)).toBe(true); // a is now the most recent
    cache.record("@u:x", "D", "!r:x", [member("@c:x", "$c")], 2);
    expect(cache.has("@u:x", "D", "!r:x", "@b:x", "$b", 5)).toBe(false);
    expect(cache.has("@u:x", "D", "!r:x", "@c:x", "$c", 5)).toBe(true);

    cache.record("@v:x", "D", "!r:x", [member("@a:x", "$a")], 1);
    cache.record("@w:x", "D", "!r:x", [member("@a:x", "$a")], 1);
    expect(cache.deviceCount).toBe(2);
    expect(cache.has("@v:x", "D", "!r:x", "@a:x", "$a", 1)).toBe(true);
    expect(cache.has("@w:x", "D", "!r:x", "@a:x", "$a", 1)).toBe(true);

    await clock.advance(60_001);
    expect(cache.has("@w:x", "D", "!r:x", "@a:x", "$a", 1)).toBe(false);
    cache.record("@z:x", "D", "!r:x", [member("@a:x", "$a")], 1);
    expect(cache.deviceCount).toBe(1);
  });
});
