import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, enc, publicRoomWith, registerUsers, startRoomsHomeserver, txn, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let bob: Account;
let roomId: string;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice, bob] = await registerUsers(t, "alice", "bob");
  roomId = await publicRoomWith(t, alice, bob);
});
afterAll(() => t.stop());

const v1 = () => `/_matrix/client/v1/rooms/${enc(roomId)}`;

async function send(who: Account, content: Record<string, unknown>, type = "m.room.message"): Promise<string> {
  const res = await clientFor(t, who)("PUT", `/rooms/${enc(roomId)}/send/${type}/${txn()}`, content);
  expect(res.status).toBe(200);
  return res.body.event_id;
}

test("relations: by parent, by type and event type, paginated", async () => {
  const parent = await send(alice, { msgtype: "m.text", body: "parent" });
  const replies: string[] = [];
  for (let i = 0; i < 5; i++) replies.push(await send(bob, { msgtype: "m.text", body: `r${i}`, "m.relates_to": { rel_type: "m.thread", event_id: parent } }));
  const reaction = await send(alice, { "m.relates_to": { rel_type: "m.annotation", event_id: parent, key: "👍" } }, "m.reaction");
  const a = clientFor(t, alice);

  const all = await a("GET", `${v1()}/relations/${enc(parent)}`);
  expect(all.status).toBe(200);
  expect(all.body.chunk.map((e: any) => e.event_id)).toEqual([reaction, replies[4], replies[3], replies[2], replies[1]]);
  expect(all.body.next_batch).toBeDefined();
  const rest = await a("GET", `${v1()}/relations/${enc(parent)}?from=${enc(all.body.next_batch)}`);
  expect(rest.body.chunk.map((e: any) => e.event_id)).toEqual([replies[0]]);
  expect(rest.body.next_batch).toBeUndefined();

  const threads = await a("GET", `${v1()}/relations/${enc(parent)}/m.thread?limit=10&dir=f`);
  expect(threads.body.chunk.map((e: any) => e.event_id)).toEqual(replies);
  const reactions = await a("GET", `${v1()}/relations/${enc(parent)}/m.annotation/m.reaction`);
  expect(reactions.body.chunk.map((e: any) => e.event_id)).toEqual([reaction]);
  const none = await a("GET", `${v1()}/relations/${enc(parent)}/m.annotation/m.room.message`);
  expect(none.body.chunk).toEqual([]);

  // A redacted relation no longer counts.
  await a("PUT", `/rooms/${enc(roomId)}/redact/${enc(reaction)}/${txn()}`, {});
  const after = await a("GET", `${v1()}/relations/${enc(parent)}/m.annotation`);
  expect(after.body.chunk).toEqual([]);

  const unknown = await a("GET", `${v1()}/relations/${enc("$" + "B".repeat(43))}`);
  expect(unknown.status).toBe(404);
});

test("threads: roots by latest activity, with a bundled summary; participated filter", async () => {
  const rootA = await send(alice, { msgtype: "m.text", body: "thread A" });
  const rootB = await send(bob, { msgtype: "m.text", body: "thread B" });
  await send(bob, { msgtype: "m.text", body: "in A", "m.relates_to": { rel_type: "m.thread", event_id: rootA } });
  const lastB = await send(bob, { msgtype: "m.text", body: "in B", "m.relates_to": { rel_type: "m.thread", event_id: rootB } });
  const lastA = await send(alice, { msgtype: "m.text", body: "in A again", "m.relates_to": { rel_type: "m.thread", event_id: rootA } });
  const a = clientFor(t, alice);
  const res = await a("GET", `${v1()}/threads?limit=2`);
  expect(res.status).toBe(200);
  expect(res.body.chunk.map((e: any) => e.event_id)).toEqual([rootA, rootB]);
  const summary = res.body.chunk[0].unsigned["m.relations"]["m.thread"];
  expect(summary.count).toBe(2);
  expect(summary.latest_event.event_id).toBe(lastA);
  expect(summary.current_user_participated).toBe(true);
  expect(res.body.chunk[1].unsigned["m.relations"]["m.thread"].latest_event.event_id).toBe(lastB);
  const next = await a("GET", `${v1()}/threads?limit=2&from=${enc(res.body.next_batch)}`);
  expect(next.body.chunk.map((e: any) => e.event_id)).not.toContain(rootA);

  const [carol] = await (await import("./helpers.ts")).registerUsers(t, "carol");
  await clientFor(t, carol!)("POST", `/rooms/${enc(roomId)}/join`, {});
  const mine = await clientFor(t, carol!)("GET", `${v1()}/threads?include=participated`);
  expect(mine.body.chunk).toEqual([]);
  const bobs = await clientFor(t, bob)("GET", `${v1()}/threads?include=participated&limit=10`);
  expect(bobs.body.chunk.map((e: any) => e.event_id)).toContain(rootB);
  expect((await a("GET", `${v1()}/threads?include=some`)).status).toBe(400);
});
