import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, enc, registerUsers, roomPath as room, startRoomsHomeserver, txn, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let bob: Account;
let dave: Account;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice, bob, dave] = await registerUsers(t, "alice", "bob", "dave");
});
afterAll(() => t.stop());

const as = (who: Account) => clientFor(t, who);

async function say(who: Account, roomId: string, body: string): Promise<string> {
  const res = await as(who)("PUT", `${room(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body });
  expect(res.status).toBe(200);
  return res.body.event_id;
}

async function bodiesSeenBy(who: Account, roomId: string): Promise<string[]> {
  const res = await as(who)("GET", `${room(roomId)}/messages?dir=f&limit=100`);
  expect(res.status).toBe(200);
  return res.body.chunk.filter((e: any) => e.type === "m.room.message").map((e: any) => e.content.body);
}

async function roomWithVisibility(visibility: string): Promise<string> {
  const res = await as(alice)("POST", "/createRoom", {
    preset: "public_chat",
    initial_state: [{ type: "m.room.history_visibility", content: { history_visibility: visibility } }],
  });
  return res.body.room_id;
}

describe("history visibility", () => {
  test("joined: only what was sent while joined", async () => {
    const roomId = await roomWithVisibility("joined");
    await say(alice, roomId, "before");
    await as(alice)("POST", `${room(roomId)}/invite`, { user_id: bob.userId });
    await say(alice, roomId, "while invited");
    await as(bob)("POST", `${room(roomId)}/join`, {});
    await say(alice, roomId, "after");
    expect(await bodiesSeenBy(bob, roomId)).toEqual(["after"]);
    expect(await bodiesSeenBy(alice, roomId)).toEqual(["before", "while invited", "after"]);
  });

  test("invited: from the invite on", async () => {
    const roomId = await roomWithVisibility("invited");
    await say(alice, roomId, "before");
    await as(alice)("POST", `${room(roomId)}/invite`, { user_id: bob.userId });
    await say(alice, roomId, "while invited");
    await as(bob)("POST", `${room(roomId)}/join`, {});
    await say(alice, roomId, "after");
    expect(await bodiesSeenBy(bob, roomId)).toEqual(["while invited", "after"]);
  });

  test("shared: everything once joined; departed users read up to their leave", async () => {
    const roomId = await roomWithVisibility("shared");
    await say(alice, roomId, "before");
    expect((await as(bob)("GET", `${room(roomId)}/messages?dir=b`)).status).toBe(403);
    await as(bob)("POST", `${room(roomId)}/join`, {});
    await say(alice, roomId, "while joined");
    expect(await bodiesSeenBy(bob, roomId)).toEqual(["before", "while joined"]);
    await as(alice)("PUT", `${room(roomId)}/state/m.room.topic/`, { topic: "old topic" });
    await as(bob)("POST", `${room(roomId)}/leave`, {});
    const after = await say(alice, roomId, "after leaving");
    await as(alice)("PUT", `${room(roomId)}/state/m.room.topic/`, { topic: "new topic" });
    expect(await bodiesSeenBy(bob, roomId)).toEqual(["before", "while joined"]);
    const back = await as(bob)("GET", `${room(roomId)}/messages?dir=b&limit=100`);
    expect(back.body.chunk.some((e: any) => e.content.body === "after leaving")).toBe(false);
    // /event: 404 for what they may not see.
    const ev = await as(bob)("GET", `${room(roomId)}/event/${enc(after)}`);
    expect(ev.status).toBe(404);
    expect(ev.body.errcode).toBe("M_NOT_FOUND");
    // /state: the state at their leave, not the current state.
    const topic = await as(bob)("GET", `${room(roomId)}/state/m.room.topic/`);
    expect(topic.body.topic).toBe("old topic");
    const state = await as(bob)("GET", `${room(roomId)}/state`);
    expect(state.body.find((e: any) => e.type === "m.room.topic").content.topic).toBe("old topic");
    expect((await as(alice)("GET", `${room(roomId)}/state/m.room.topic/`)).body.topic).toBe("new topic");
    // /context on an event after their leave is refused.
    const ctx = await as(bob)("GET", `${room(roomId)}/context/${enc(after)}`);
    expect(ctx.status).toBe(403);
  });

  test("world_readable: anyone may read messages, state, events and context", async () => {
    const roomId = await roomWithVisibility("world_readable");
    const id = await say(alice, roomId, "public words");
    expect(await bodiesSeenBy(dave, roomId)).toEqual(["public words"]);
    expect((await as(dave)("GET", `${room(roomId)}/event/${enc(id)}`)).status).toBe(200);
    expect((await as(dave)("GET", `${room(roomId)}/state`)).status).toBe(200);
    const ctx = await as(dave)("GET", `${room(roomId)}/context/${enc(id)}`);
    expect(ctx.status).toBe(200);
    expect(ctx.body.event.event_id).toBe(id);
    // Not so when the room is merely shared.
    const shared = await roomWithVisibility("shared");
    const sid = await say(alice, shared, "members only");
    expect((await as(dave)("GET", `${room(shared)}/messages?dir=b`)).status).toBe(403);
    expect((await as(dave)("GET", `${room(shared)}/event/${enc(sid)}`)).status).toBe(404);
    expect((await as(dave)("GET", `${room(shared)}/state`)).status).toBe(403);
    expect((await as(dave)("GET", `${room(shared)}/state/m.room.create/`)).status).toBe(403);
    expect((await as(dave)("GET", `${room(shared)}/context/${enc(sid)}`)).status).toBe(403);
  });

  test("a history_visibility change applies from the event on", async () => {
    const roomId = await roomWithVisibility("shared");
    await say(alice, roomId, "shared era");
    await as(alice)("PUT", `${room(roomId)}/state/m.room.history_visibility/`, { history_visibility: "joined" });
    await say(alice, roomId, "joined era");
    await as(bob)("POST", `${room(roomId)}/join`, {});
    await say(alice, roomId, "member era");
    expect(await bodiesSeenBy(bob, roomId)).toEqual(["shared era", "member era"]);
  });
});

describe("pagination", () => {
  test("backwards and forwards pages meet without gaps or duplicates", async () => {
    const roomId = (await as(alice)("POST", "/createRoom", {})).body.room_id;
    const sent: string[] = [];
    for (let i = 0; i < 25; i++) sent.push(await say(alice, roomId, `m${i}`));
    const seen: string[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=10&filter=${enc(JSON.stringify({ types: ["m.room.message"] }))}${from ? `&from=${enc(from)}` : ""}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.chunk.map((e: any) => e.event_id));
      if (!res.body.end) break;
      from = res.body.end;
    }
    expect(seen).toEqual([...sent].reverse());

    // Forwards from a token in the middle: the next events in order.
    const back = await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=5`);
    const middle = back.body.end;
    const fwd = await as(alice)("GET", `${room(roomId)}/messages?dir=f&limit=5&from=${enc(middle)}`);
    expect(fwd.body.chunk.map((e: any) => e.event_id)).toEqual(sent.slice(20));
    // `to` stops the page.
    const bounded = await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=50&to=${enc(middle)}`);
    expect(bounded.body.chunk.map((e: any) => e.event_id)).toEqual(sent.slice(20).reverse());
    // A stream token (as /sync hands out) works as `from` too.
    const row = await t.hs.services.rooms.stores.events.get(sent[9]!);
    const fromStream = await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=3&from=s${row!.streamOrdering}`);
    expect(fromStream.body.chunk.map((e: any) => e.content.body)).toEqual(["m9", "m8", "m7"]);
  });

  test("filters by type, sender and contains_url; lazy-loaded members come as state", async () => {
    const roomId = (await as(alice)("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
    await as(bob)("POST", `${room(roomId)}/join`, {});
    await say(bob, roomId, "from bob");
    await as(alice)("PUT", `${room(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.image", body: "pic", url: "mxc://x/y" });
    const bySender = await as(alice)("GET", `${room(roomId)}/messages?dir=b&filter=${enc(JSON.stringify({ senders: [bob.userId], types: ["m.room.message"] }))}`);
    expect(bySender.body.chunk.map((e: any) => e.content.body)).toEqual(["from bob"]);
    const withUrl = await as(alice)("GET", `${room(roomId)}/messages?dir=b&filter=${enc(JSON.stringify({ contains_url: true }))}`);
    expect(withUrl.body.chunk.map((e: any) => e.content.body)).toEqual(["pic"]);
    const lazy = await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=2&filter=${enc(JSON.stringify({ lazy_load_members: true }))}`);
    expect(lazy.body.state.map((e: any) => e.state_key).sort()).toEqual([alice.userId, bob.userId].sort());
  });

  test("context returns events around one event, with state and tokens", async () => {
    const roomId = (await as(alice)("POST", "/createRoom", {})).body.room_id;
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push(await say(alice, roomId, `c${i}`));
    const ctx = await as(alice)("GET", `${room(roomId)}/context/${enc(ids[4]!)}?limit=4`);
    expect(ctx.status).toBe(200);
    expect(ctx.body.event.event_id).toBe(ids[4]);
    expect(ctx.body.events_before.map((e: any) => e.event_id)).toEqual([ids[3], ids[2]]);
    expect(ctx.body.events_after.map((e: any) => e.event_id)).toEqual([ids[5], ids[6]]);
    expect(ctx.body.state.some((e: any) => e.type === "m.room.create")).toBe(true);
    const next = await as(alice)("GET", `${room(roomId)}/messages?dir=f&limit=2&from=${enc(ctx.body.end)}`);
    expect(next.body.chunk.map((e: any) => e.event_id)).toEqual([ids[7], ids[8]]);
    const prev = await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=1&from=${enc(ctx.body.start)}`);
    expect(prev.body.chunk.map((e: any) => e.event_id)).toEqual([ids[1]]);
    expect((await as(alice)("GET", `${room(roomId)}/context/${enc("$" + "A".repeat(43))}`)).status).toBe(404);
  });

  test("timestamp_to_event finds the closest event in either direction", async () => {
    const roomId = (await as(alice)("POST", "/createRoom", {})).body.room_id;
    const id = await say(alice, roomId, "now");
    const row = await t.hs.services.rooms.stores.events.get(id);
    const ts = row!.originServerTs;
    const path = `/_matrix/client/v1${room(roomId)}/timestamp_to_event`;
    const f = await as(alice)("GET", `${path}?ts=${ts}&dir=f`);
    expect(f.body).toEqual({ event_id: id, origin_server_ts: ts });
    const b = await as(alice)("GET", `${path}?ts=${ts + 60_000}&dir=b`);
    expect(b.body.event_id).toBe(id);
    const none = await as(alice)("GET", `${path}?ts=${ts + 60_000}&dir=f`);
    expect(none.status).toBe(404);
    expect((await as(alice)("GET", `${path}?ts=abc&dir=f`)).status).toBe(400);
    expect((await as(alice)("GET", `${path}?dir=f`)).status).toBe(400);
  });
});

test("pagination tokens stay valid across a restart", async () => {
  const { createHomeserver } = await import("../../src/homeserver.ts");
  const roomId = (await as(alice)("POST", "/createRoom", {})).body.room_id;
  for (let i = 0; i < 6; i++) await say(alice, roomId, `r${i}`);
  const page = await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=3`);
  const expected = await as(alice)("GET", `${room(roomId)}/messages?dir=b&limit=3&from=${enc(page.body.end)}`);
  // A second homeserver process on the same database answers the same token the same way.
  const other = createHomeserver(t.hs.config, { listen: false });
  await other.start();
  try {
    const res = await other.fetch(
      new Request(`http://x/_matrix/client/v3${room(roomId)}/messages?dir=b&limit=3&from=${enc(page.body.end)}`, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      }),
    );
    const body = (await res.json()) as any;
    expect(body.chunk.map((e: any) => e.event_id)).toEqual(expected.body.chunk.map((e: any) => e.event_id));
  } finally {
    await other.stop();
  }
});
