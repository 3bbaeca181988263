import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { login } from "../accounts/helpers.ts";
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

const as = (who: Account) => clientFor(t, who);
const room = () => `/rooms/${enc(roomId)}`;

describe("sending events", () => {
  test("a message is stored and served with the sender's transaction id", async () => {
    const id = txn();
    const sent = await as(alice)("PUT", `${room()}/send/m.room.message/${id}`, { msgtype: "m.text", body: "hello" });
    expect(sent.status).toBe(200);
    expect(sent.body.event_id).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
    const mine = await as(alice)("GET", `${room()}/event/${enc(sent.body.event_id)}`);
    expect(mine.body).toMatchObject({ type: "m.room.message", sender: alice.userId, room_id: roomId, content: { msgtype: "m.text", body: "hello" } });
    expect(mine.body.unsigned.transaction_id).toBe(id);
    const theirs = await as(bob)("GET", `${room()}/event/${enc(sent.body.event_id)}`);
    expect(theirs.body.unsigned.transaction_id).toBeUndefined();
  });

  test("a retried transaction id returns the same event, also when racing; another device sends anew", async () => {
    const id = txn();
    const [a, b] = await Promise.all([
      as(alice)("PUT", `${room()}/send/m.room.message/${id}`, { msgtype: "m.text", body: "once" }),
      as(alice)("PUT", `${room()}/send/m.room.message/${id}`, { msgtype: "m.text", body: "once" }),
    ]);
    expect(a.body.event_id).toBe(b.body.event_id);
    const again = await as(alice)("PUT", `${room()}/send/m.room.message/${id}`, { msgtype: "m.text", body: "once" });
    expect(again.body.event_id).toBe(a.body.event_id);
    const msgs = (await as(alice)("GET", `${room()}/messages?dir=b&limit=20`)).body.chunk;
    expect(msgs.filter((e: any) => e.content.body === "once").length).toBe(1);
    // The same txn id from another device (a second login) is a different transaction.
    const other = await login(t, "alice");
    const res = await t.request("PUT", `/_matrix/client/v3${room()}/send/m.room.message/${id}`, {
      token: other.body.access_token,
      body: { msgtype: "m.text", body: "once" },
    });
    expect(res.status).toBe(200);
    expect(res.body.event_id).not.toBe(a.body.event_id);
    // The same txn id in another room is another transaction too.
    const other2 = (await as(alice)("POST", "/createRoom", {})).body.room_id;
    const elsewhere = await as(alice)("PUT", `/rooms/${enc(other2)}/send/m.room.message/${id}`, { msgtype: "m.text", body: "once" });
    expect(elsewhere.body.event_id).not.toBe(a.body.event_id);
  });

  test("non-members cannot send; event types and sizes are checked", async () => {
    const [carol] = await registerUsers(t, "carol");
    const res = await as(carol!)("PUT", `${room()}/send/m.room.message/${txn()}`, { body: "x" });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
    const big = await as(alice)("PUT", `${room()}/send/m.room.message/${txn()}`, { body: "x".repeat(66000) });
    expect(big.status).toBe(413);
    expect(big.body.errcode).toBe("M_TOO_LARGE");
    const longType = await as(alice)("PUT", `${room()}/send/${"t".repeat(256)}/${txn()}`, { body: "x" });
    expect(longType.status).toBe(413);
    const floaty = await as(alice)("PUT", `${room()}/send/m.room.message/${txn()}`, { body: "x", n: 1.5 });
    expect(floaty.status).toBe(400);
    expect(floaty.body.errcode).toBe("M_BAD_JSON");
    const notObject = await as(alice)("PUT", `${room()}/send/m.room.message/${txn()}`, [1, 2]);
    expect(notObject.status).toBe(400);
  });

  test("state events: power levels apply, identical state is not sent twice, reads by type and key", async () => {
    const denied = await as(bob)("PUT", `${room()}/state/m.room.name/`, { name: "bob's" });
    expect(denied.status).toBe(403);
    const first = await as(alice)("PUT", `${room()}/state/m.room.name/`, { name: "Room" });
    expect(first.status).toBe(200);
    const second = await as(alice)("PUT", `${room()}/state/m.room.name`, { name: "Room" });
    expect(second.body.event_id).toBe(first.body.event_id);
    const content = await as(bob)("GET", `${room()}/state/m.room.name/`);
    expect(content.body).toEqual({ name: "Room" });
    const full = await as(bob)("GET", `${room()}/state/m.room.name/?format=event`);
    expect(full.body).toMatchObject({ type: "m.room.name", state_key: "", event_id: first.body.event_id });
    const renamed = await as(alice)("PUT", `${room()}/state/m.room.name/`, { name: "Renamed" });
    const ev = await as(alice)("GET", `${room()}/event/${enc(renamed.body.event_id)}`);
    expect(ev.body.unsigned.prev_content).toEqual({ name: "Room" });
    expect(ev.body.unsigned.replaces_state).toBe(first.body.event_id);
    // A state key naming another user belongs to that user.
    const own = await as(bob)("PUT", `${room()}/state/org.example.user/${enc(alice.userId)}`, { x: 1 });
    expect(own.status).toBe(403);
    expect((await as(bob)("GET", `${room()}/state/org.example.none/`)).status).toBe(404);
    const all = await as(bob)("GET", `${room()}/state`);
    expect(all.body.some((e: any) => e.type === "m.room.name" && e.content.name === "Renamed")).toBe(true);
  });

  test("redaction strips content per the room version and records redacted_because", async () => {
    const msg = await as(bob)("PUT", `${room()}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: "oops", "m.relates_to": { rel_type: "m.thread", event_id: "$x" } });
    const red = await as(bob)("PUT", `${room()}/redact/${enc(msg.body.event_id)}/${txn()}`, { reason: "typo" });
    expect(red.status).toBe(200);
    const ev = (await as(alice)("GET", `${room()}/event/${enc(msg.body.event_id)}`)).body;
    expect(ev.content).toEqual({});
    expect(ev.unsigned.redacted_because).toMatchObject({ type: "m.room.redaction", sender: bob.userId, redacts: msg.body.event_id });
    expect(ev.unsigned.redacted_because.content).toEqual({ reason: "typo", redacts: msg.body.event_id });
    const redaction = (await as(alice)("GET", `${room()}/event/${enc(red.body.event_id)}`)).body;
    expect(redaction.redacts).toBe(msg.body.event_id);
  });

  test("redacting someone else's event needs the redact level; create events cannot be redacted", async () => {
    const msg = await as(alice)("PUT", `${room()}/send/m.room.message/${txn()}`, { body: "mine" });
    const denied = await as(bob)("PUT", `${room()}/redact/${enc(msg.body.event_id)}/${txn()}`, {});
    expect(denied.status).toBe(403);
    const bobs = await as(bob)("PUT", `${room()}/send/m.room.message/${txn()}`, { body: "bob's" });
    const mod = await as(alice)("PUT", `${room()}/redact/${enc(bobs.body.event_id)}/${txn()}`, {});
    expect(mod.status).toBe(200);
    const create = (await as(alice)("GET", `${room()}/messages?dir=f&limit=1`)).body.chunk[0];
    const noCreate = await as(alice)("PUT", `${room()}/redact/${enc(create.event_id)}/${txn()}`, {});
    expect(noCreate.status).toBe(403);
    const id = txn();
    const r1 = await as(alice)("PUT", `${room()}/redact/${enc(msg.body.event_id)}/${id}`, {});
    const r2 = await as(alice)("PUT", `${room()}/redact/${enc(msg.body.event_id)}/${id}`, {});
    expect(r1.body.event_id).toBe(r2.body.event_id);
  });

  test("redaction in a v10 room keeps redacts at the top level of the PDU", async () => {
    const v10 = (await as(alice)("POST", "/createRoom", { room_version: "10" })).body.room_id;
    const msg = await as(alice)("PUT", `/rooms/${enc(v10)}/send/m.room.message/${txn()}`, { body: "x", msgtype: "m.text" });
    const red = await as(alice)("PUT", `/rooms/${enc(v10)}/redact/${enc(msg.body.event_id)}/${txn()}`, {});
    const row = await t.hs.services.rooms.stores.events.get(red.body.event_id);
    const pdu = JSON.parse(row!.pdu);
    expect(pdu.redacts).toBe(msg.body.event_id);
    expect(pdu.content.redacts).toBeUndefined();
    const ev = (await as(alice)("GET", `/rooms/${enc(v10)}/event/${enc(red.body.event_id)}`)).body;
    expect(ev.redacts).toBe(msg.body.event_id);
    expect(ev.content.redacts).toBe(msg.body.event_id);
  });
});

// Requests that arrive together are released together (src/http/turn-gate.ts), so their
// steps interleave at every await: concurrent sends must still each get their own event,
// and concurrent retries of one transaction must still get one event between them.
describe("sends that arrive together", () => {
  async function bodies(): Promise<string[]> {
    const page = await as(alice)("GET", `${room()}/messages?dir=b&limit=100`);
    expect(page.status).toBe(200);
    // Redacted messages (the tests above make some) have no body.
    return page.body.chunk.filter((e: any) => e.type === "m.room.message" && typeof e.content.body === "string").map((e: any) => e.content.body);
  }

  test("twenty sends from two users at once each get their own event, all in the room", async () => {
    const sends = Array.from({ length: 20 }, (_, i) => {
      const who = i % 2 === 0 ? alice : bob;
      return as(who)("PUT", `${room()}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: `burst ${i}` });
    });
    const results = await Promise.all(sends);
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const ids = results.map((r) => r.body.event_id);
    expect(new Set(ids).size).toBe(20);
    const seen = await bodies();
    for (let i = 0; i < 20; i++) expect(seen).toContain(`burst ${i}`);
  });

  test("retries of one transaction sent at once get one event between them", async () => {
    const path = `${room()}/send/m.room.message/${txn()}`;
    const results = await Promise.all([1, 2, 3].map((n) => as(alice)("PUT", path, { msgtype: "m.text", body: `retry ${n}` })));
    for (const r of results) expect(r.status).toBe(200);
    expect(new Set(results.map((r) => r.body.event_id)).size).toBe(1);
    const seen = (await bodies()).filter((b) => b.startsWith("retry "));
    expect(seen).toHaveLength(1);
  });
});
