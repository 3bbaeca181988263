// Requests that arrive together are released together (src/http/turn-gate.ts), so their
// steps interleave at every await: concurrent sends must still each get their own event,
// and concurrent retries of one transaction must still get one event between them.
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
  roomId = await publicRoomWith(t, alice!, bob!);
});
afterAll(() => t.stop());

async function bodies(): Promise<string[]> {
  const page = await clientFor(t, alice!)("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
  expect(page.status).toBe(200);
  return page.body.chunk.filter((e: any) => e.type === "m.room.message").map((e: any) => e.content.body);
}

test("twenty sends from two users at once each get their own event, all in the room", async () => {
  const sends = Array.from({ length: 20 }, (_, i) => {
    const who = i % 2 === 0 ? alice! : bob!;
    return clientFor(t, who)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: `burst ${i}` });
  });
  const results = await Promise.all(sends);
  for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
  const ids = results.map((r) => r.body.event_id);
  expect(new Set(ids).size).toBe(20);
  const seen = await bodies();
  for (let i = 0; i < 20; i++) expect(seen).toContain(`burst ${i}`);
});

test("retries of one transaction sent at once get one event between them", async () => {
  const id = txn();
  const path = `/rooms/${enc(roomId)}/send/m.room.message/${id}`;
  const results = await Promise.all([1, 2, 3].map((n) => clientFor(t, alice!)("PUT", path, { msgtype: "m.text", body: `retry ${n}` })));
  for (const r of results) expect(r.status).toBe(200);
  expect(new Set(results.map((r) => r.body.event_id)).size).toBe(1);
  const seen = (await bodies()).filter((b) => b.startsWith("retry "));
  expect(seen).toHaveLength(1);
});
