import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { enc, freshUsers, join, send, sharedRoom, startSyncHomeserver, sync, txn } from "./helpers.ts";

let t: TestHomeserver;

beforeAll(async () => {
  t = await startSyncHomeserver();
});
afterAll(() => t.stop());

const users = (...names: string[]) => freshUsers(t, ...names);

describe("room summary", () => {
  test("an initial sync gives each room its own member counts", async () => {
    const [alice, bob, carol, dave] = await users("alice", "bob", "carol", "dave");
    const two = await sharedRoom(alice!.c, [bob!]);
    const four = await sharedRoom(alice!.c, [bob!, carol!, dave!]);
    const invited = await sharedRoom(alice!.c, [bob!]);
    expect((await alice!.c("POST", `/rooms/${enc(invited)}/invite`, { user_id: carol!.userId })).status).toBe(200);
    const body = await sync(bob!.c);
    const counts = (roomId: string) => {
      const s = body.rooms.join[roomId].summary;
      return [s["m.joined_member_count"], s["m.invited_member_count"]];
    };
    expect(counts(two)).toEqual([2, 0]);
    expect(counts(four)).toEqual([4, 0]);
    expect(counts(invited)).toEqual([2, 1]);
  });

  test("heroes are sent only when the room has neither a name nor a canonical alias", async () => {
    const [alice, bob] = await users("alice", "bob");
    const unnamed = await sharedRoom(alice!.c, [bob!]);
    const named = await sharedRoom(alice!.c, [bob!], { name: "Named" });
    const aliased = await sharedRoom(alice!.c, [bob!], { room_alias_name: `summary_${txn()}` });
    const emptyName = await sharedRoom(alice!.c, [bob!], { name: "Soon empty" });
    expect((await alice!.c("PUT", `/rooms/${enc(emptyName)}/state/m.room.name/`, { name: "" })).status).toBe(200);

    const body = await sync(bob!.c);
    const summary = (roomId: string) => body.rooms.join[roomId].summary;
    expect(summary(unnamed)).toEqual({ "m.heroes": [alice!.userId], "m.joined_member_count": 2, "m.invited_member_count": 0 });
    expect(summary(named)).toEqual({ "m.joined_member_count": 2, "m.invited_member_count": 0 });
    expect(summary(aliased)["m.heroes"]).toBeUndefined();
    expect(summary(emptyName)["m.heroes"]).toEqual([alice!.userId]);
  });

  test("removing the name sends a summary with heroes; membership changes update the counts", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    const roomId = await sharedRoom(alice!.c, [bob!], { name: "Named" });
    const first = await sync(bob!.c);
    expect(first.rooms.join[roomId].summary["m.heroes"]).toBeUndefined();

    // A message alone changes nothing in the summary.
    await send(alice!.c, roomId, "hi");
    const quiet = await sync(bob!.c, { since: first.next_batch });
    expect(quiet.rooms.join[roomId].summary).toBeUndefined();

    expect((await alice!.c("PUT", `/rooms/${enc(roomId)}/state/m.room.name/`, {})).status).toBe(200);
    const unnamed = await sync(bob!.c, { since: quiet.next_batch });
    expect(unnamed.rooms.join[roomId].summary["m.heroes"]).toEqual([alice!.userId]);

    expect((await alice!.c("POST", `/rooms/${enc(roomId)}/invite`, { user_id: carol!.userId })).status).toBe(200);
    const invited = await sync(bob!.c, { since: unnamed.next_batch });
    expect(invited.rooms.join[roomId].summary).toEqual({
      "m.heroes": [alice!.userId, carol!.userId],
      "m.joined_member_count": 2,
      "m.invited_member_count": 1,
    });
    await join(carol!.c, roomId);
    const joined = await sync(bob!.c, { since: invited.next_batch });
    expect(joined.rooms.join[roomId].summary["m.joined_member_count"]).toBe(3);
    expect(joined.rooms.join[roomId].summary["m.invited_member_count"]).toBe(0);
  });

  test("with lazy loading, a hero who joined in a gap comes with their member event", async () => {
    const [alice, bob, carol] = await users("alice", "bob", "carol");
    const roomId = await sharedRoom(alice!.c, [bob!]);
    const filter = JSON.stringify({ room: { timeline: { limit: 2 }, state: { lazy_load_members: true } } });
    const first = await sync(bob!.c, { filter });
    expect(first.rooms.join[roomId].summary["m.heroes"]).toEqual([alice!.userId]);

    expect((await alice!.c("POST", `/rooms/${enc(roomId)}/invite`, { user_id: carol!.userId })).status).toBe(200);
    await join(carol!.c, roomId);
    for (let i = 0; i < 4; i++) await send(alice!.c, roomId, `m${i}`);
    const body = await sync(bob!.c, { filter, since: first.next_batch });
    const room = body.rooms.join[roomId];
    expect(room.timeline.limited).toBe(true);
    expect(room.timeline.events.some((e: any) => e.type === "m.room.member")).toBe(false);
    expect(room.summary["m.heroes"]).toEqual([alice!.userId, carol!.userId]);
    expect(room.summary["m.joined_member_count"]).toBe(3);
    const carolMember = room.state.events.find((e: any) => e.type === "m.room.member" && e.state_key === carol!.userId);
    expect(carolMember?.content.membership).toBe("join");
  });
});
