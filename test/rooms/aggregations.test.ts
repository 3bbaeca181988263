// Bundled aggregations (`unsigned.m.relations`) on the events clients read: the latest
// valid edit (whole), thread summaries, references; in /messages, /context, /event,
// /relations and the /sync timeline. Annotations are not bundled.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as sdk from "matrix-js-sdk";
import { FakeClock } from "../../src/observability/clock.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { silentSdkLogger } from "../support/sdk.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver, txn, type Account } from "./helpers.ts";

let t: TestHomeserver;
let clock: FakeClock;
let alice: Account;
let bob: Account;
let carol: Account;

beforeAll(async () => {
  clock = new FakeClock("test.local", Date.now());
  t = await startRoomsHomeserver({ clock });
  [alice, bob, carol] = await registerUsers(t, "alice", "bob", "carol");
});
afterAll(() => t.stop());

const as = (who: Account) => clientFor(t, who);

async function newRoom(): Promise<string> {
  const roomId = (await as(alice)("POST", "/createRoom", { preset: "public_chat" })).body.room_id as string;
  for (const who of [bob, carol]) expect((await as(who)("POST", `/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
  return roomId;
}

async function send(who: Account, roomId: string, content: Record<string, unknown>, type = "m.room.message"): Promise<string> {
  // Every event gets its own origin_server_ts: "the latest edit" compares them.
  await clock.advance(1);
  const res = await as(who)("PUT", `/rooms/${enc(roomId)}/send/${type}/${txn()}`, content);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.event_id;
}

const text = (body: string, extra: Record<string, unknown> = {}) => ({ msgtype: "m.text", body, ...extra });
const edit = (of: string, body: string) => text(`* ${body}`, { "m.new_content": text(body), "m.relates_to": { rel_type: "m.replace", event_id: of } });
const inThread = (root: string, body: string) => text(body, { "m.relates_to": { rel_type: "m.thread", event_id: root } });

async function messages(who: Account, roomId: string): Promise<Map<string, any>> {
  const res = await as(who)("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
  expect(res.status).toBe(200);
  return new Map(res.body.chunk.map((e: any) => [e.event_id, e]));
}

async function event(who: Account, roomId: string, eventId: string): Promise<any> {
  const res = await as(who)("GET", `/rooms/${enc(roomId)}/event/${enc(eventId)}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function syncTimeline(who: Account, roomId: string): Promise<Map<string, any>> {
  const filter = enc(JSON.stringify({ room: { timeline: { limit: 100 } } }));
  const res = await as(who)("GET", `/sync?filter=${filter}`);
  expect(res.status).toBe(200);
  return new Map(res.body.rooms.join[roomId].timeline.events.map((e: any) => [e.event_id, e]));
}

describe("m.replace", () => {
  test("the latest valid edit is bundled whole; the original keeps its content", async () => {
    const roomId = await newRoom();
    const original = await send(alice, roomId, text("first"));
    await send(alice, roomId, edit(original, "second"));
    const latest = await send(alice, roomId, edit(original, "third"));
    // Not valid edits: another sender, another type, no m.new_content.
    await send(bob, roomId, edit(original, "bob's"));
    await send(alice, roomId, edit(original, "other type"), "org.example.message");
    await send(alice, roomId, text("no new content", { "m.relates_to": { rel_type: "m.replace", event_id: original } }));

    for (const served of [(await messages(bob, roomId)).get(original), await event(bob, roomId, original)]) {
      expect(served.content).toEqual(text("first"));
      const replace = served.unsigned["m.relations"]["m.replace"];
      expect(replace.event_id).toBe(latest);
      expect(replace.sender).toBe(alice.userId);
      expect(replace.content["m.new_content"]).toEqual(text("third"));
      expect(replace.room_id).toBe(roomId);
    }
    const context = await as(bob)("GET", `/rooms/${enc(roomId)}/context/${enc(original)}?limit=2`);
    expect(context.body.event.unsigned["m.relations"]["m.replace"].event_id).toBe(latest);
    expect((await syncTimeline(bob, roomId)).get(original).unsigned["m.relations"]["m.replace"].event_id).toBe(latest);

    // Redacting the latest edit brings back the one before it.
    await as(alice)("PUT", `/rooms/${enc(roomId)}/redact/${enc(latest)}/${txn()}`, {});
    const now = await event(bob, roomId, original);
    expect(now.unsigned["m.relations"]["m.replace"].content["m.new_content"]).toEqual(text("second"));

    // A redacted original carries no edits.
    await as(alice)("PUT", `/rooms/${enc(roomId)}/redact/${enc(original)}/${txn()}`, {});
    expect((await event(bob, roomId, original)).unsigned["m.relations"]).toBeUndefined();
    expect((await messages(bob, roomId)).get(original).unsigned["m.relations"]).toBeUndefined();
  });

  test("matrix-js-sdk shows the edited content of an event read back from the server", async () => {
    const roomId = await newRoom();
    const original = await send(alice, roomId, text("typo"));
    const fixed = await send(alice, roomId, edit(original, "fixed"));
    const client = sdk.createClient({ baseUrl: t.baseUrl, userId: bob.userId, accessToken: bob.accessToken, deviceId: bob.deviceId, logger: silentSdkLogger });
    const mapper = client.getEventMapper();
    const single = mapper(await client.fetchRoomEvent(roomId, original));
    expect(single.replacingEventId()).toBe(fixed);
    expect(single.getContent().body).toBe("fixed");
    const page = await client.createMessagesRequest(roomId, null, 50, sdk.Direction.Backward);
    const fromPage = page.chunk.map(mapper).find((e) => e.getId() === original)!;
    expect(fromPage.getContent().body).toBe("fixed");
  });
});

describe("m.thread", () => {
  test("roots carry latest_event, count and current_user_participated", async () => {
    const roomId = await newRoom();
    const root = await send(alice, roomId, text("root"));
    await send(bob, roomId, inThread(root, "reply 1"));
    const last = await send(bob, roomId, inThread(root, "reply 2"));
    const lastEdit = await send(bob, roomId, edit(last, "reply 2, edited"));

    const check = (served: any, participated: boolean) => {
      const thread = served.unsigned["m.relations"]["m.thread"];
      expect(thread.count).toBe(2);
      expect(thread.current_user_participated).toBe(participated);
      expect(thread.latest_event.event_id).toBe(last);
      expect(thread.latest_event.content.body).toBe("reply 2");
      // The latest event comes with its own edit.
      expect(thread.latest_event.unsigned["m.relations"]["m.replace"].event_id).toBe(lastEdit);
    };
    // Alice started the thread, Bob replied, Carol did neither.
    check((await messages(alice, roomId)).get(root), true);
    check((await messages(bob, roomId)).get(root), true);
    check((await messages(carol, roomId)).get(root), false);
    check(await event(carol, roomId, root), false);
    check((await syncTimeline(bob, roomId)).get(root), true);
    check((await syncTimeline(carol, roomId)).get(root), false);
    // Thread events themselves carry no thread summary.
    expect((await messages(bob, roomId)).get(last).unsigned["m.relations"]?.["m.thread"]).toBeUndefined();
  });
});

describe("m.reference and annotations", () => {
  test("references list the referencing events; reactions are not bundled", async () => {
    const roomId = await newRoom();
    const start = await send(alice, roomId, { body: "poll", "org.example.poll": true }, "org.example.poll.start");
    const r1 = await send(bob, roomId, { "m.relates_to": { rel_type: "m.reference", event_id: start } }, "org.example.poll.response");
    const r2 = await send(carol, roomId, { "m.relates_to": { rel_type: "m.reference", event_id: start } }, "org.example.poll.response");
    await send(bob, roomId, { "m.relates_to": { rel_type: "m.annotation", event_id: start, key: "👍" } }, "m.reaction");

    const served = (await messages(alice, roomId)).get(start);
    expect(served.unsigned["m.relations"]).toEqual({ "m.reference": { chunk: [{ event_id: r1 }, { event_id: r2 }] } });
    expect((await syncTimeline(alice, roomId)).get(start).unsigned["m.relations"]).toEqual(served.unsigned["m.relations"]);

    const plain = await send(alice, roomId, text("only reacted to"));
    await send(bob, roomId, { "m.relates_to": { rel_type: "m.annotation", event_id: plain, key: "🎉" } }, "m.reaction");
    expect((await event(alice, roomId, plain)).unsigned["m.relations"]).toBeUndefined();
  });

  test("/relations serves children with their own aggregations", async () => {
    const roomId = await newRoom();
    const root = await send(alice, roomId, text("root"));
    const reply = await send(bob, roomId, inThread(root, "reply"));
    const fixed = await send(bob, roomId, edit(reply, "reply, fixed"));
    const res = await as(alice)("GET", `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread`);
    expect(res.status).toBe(200);
    const [served] = res.body.chunk;
    expect(served.event_id).toBe(reply);
    expect(served.unsigned["m.relations"]["m.replace"].event_id).toBe(fixed);
  });
});

describe("several rooms at once", () => {
  test("a /sync of several rooms bundles each room's own children; a relation from another room counts for nothing", async () => {
    const roomA = await newRoom();
    const roomB = await newRoom();
    const rootA = await send(alice, roomA, text("root in A"));
    const rootB = await send(alice, roomB, text("root in B"));
    await send(bob, roomA, inThread(rootA, "reply in A"));
    await send(bob, roomB, inThread(rootB, "reply 1 in B"));
    await send(carol, roomB, inThread(rootB, "reply 2 in B"));
    // Claims a thread on A's root from room B: not a child of it.
    await send(carol, roomB, inThread(rootA, "stray reply from B"));
    const filter = enc(JSON.stringify({ room: { timeline: { limit: 100 } } }));
    const res = await as(alice)("GET", `/sync?filter=${filter}`);
    expect(res.status).toBe(200);
    const timeline = (roomId: string) => new Map(res.body.rooms.join[roomId].timeline.events.map((e: any) => [e.event_id, e]));
    const threadOf = (roomId: string, id: string) => (timeline(roomId).get(id) as any).unsigned["m.relations"]["m.thread"];
    expect(threadOf(roomA, rootA).count).toBe(1);
    expect(threadOf(roomA, rootA).latest_event.content.body).toBe("reply in A");
    expect(threadOf(roomB, rootB).count).toBe(2);
    expect(threadOf(roomB, rootB).latest_event.content.body).toBe("reply 2 in B");
  });
});
