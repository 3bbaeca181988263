// A transaction id is remembered with its event (events.txn_scope/txn_id): a retry gets
// the first event back however late it comes, also after a restart, and a server whose
// events table lost the event (a purge) sends anew rather than answer with a dead id.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startRestartableHomeserver, type RestartableHomeserver } from "../sync/restartable.ts";
import { clientFor, enc, registerUsers, type Account } from "./helpers.ts";

let t: RestartableHomeserver;
let alice: Account;
let roomId: string;

beforeAll(async () => {
  t = await startRestartableHomeserver();
  [alice] = await registerUsers(t, "alice");
  roomId = (await clientFor(t, alice!)("POST", "/createRoom", {})).body.room_id;
});
afterAll(() => t.stop());

async function sendWithTxn(txnId: string, body = "hi"): Promise<string> {
  const res = await clientFor(t, alice!)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txnId}`, { msgtype: "m.text", body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.event_id;
}

test("a retry after a restart returns the first event, and its copy still carries the transaction id", async () => {
  const first = await sendWithTxn("kept", "first");
  for (let i = 0; i < 5; i++) await sendWithTxn(`other${i}`);
  await t.restart();
  expect(await sendWithTxn("kept", "retried")).toBe(first);
  const event = await clientFor(t, alice!)("GET", `/rooms/${enc(roomId)}/event/${enc(first)}`);
  expect(event.body.content.body).toBe("first");
  expect(event.body.unsigned.transaction_id).toBe("kept");
  // Nothing new was sent: the retry's content is not in the room.
  const page = await clientFor(t, alice!)("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=20`);
  expect(page.body.chunk.filter((e: any) => e.content?.body === "retried")).toHaveLength(0);
});

test("the lookup is exact: scope, room and id must all match", async () => {
  const { events } = t.hs.services.rooms.stores;
  const id = await sendWithTxn("exact");
  const scope = (await t.hs.services.database.queryRaw<{ txn_scope: string }>("SELECT txn_scope FROM events WHERE event_id = ?", [id]))[0]!.txn_scope;
  expect(await events.eventForTxn(scope, roomId, "exact")).toBe(id);
  expect(await events.eventForTxn(scope, roomId, "exac")).toBeUndefined();
  expect(await events.eventForTxn(scope, "!other:test.local", "exact")).toBeUndefined();
  expect(await events.eventForTxn(`${scope}x`, roomId, "exact")).toBeUndefined();
});

test("lookups asked for together each get their own answer", async () => {
  const { events } = t.hs.services.rooms.stores;
  const sent = new Map<string, string>();
  for (let i = 0; i < 3; i++) sent.set(`wave${i}`, await sendWithTxn(`wave${i}`));
  const scope = (await t.hs.services.database.queryRaw<{ txn_scope: string }>("SELECT txn_scope FROM events WHERE event_id = ?", [sent.get("wave0")!]))[0]!
    .txn_scope;
  // 40 lookups in one go: hits at both ends and in the middle of the waves, misses between.
  const asked = Array.from({ length: 40 }, (_, i) => (i === 0 || i === 17 || i === 39 ? `wave${[0, 17, 39].indexOf(i)}` : `missing${i}`));
  const answers = await Promise.all(asked.map((txnId) => events.eventForTxn(scope, roomId, txnId)));
  expect(answers).toEqual(asked.map((txnId) => sent.get(txnId)));
  // The same id in another room or scope is another transaction, also within one wave.
  const mixed = await Promise.all([
    events.eventForTxn(scope, roomId, "wave1"),
    events.eventForTxn(scope, "!other:test.local", "wave1"),
    events.eventForTxn(`${scope}x`, roomId, "wave1"),
  ]);
  expect(mixed).toEqual([sent.get("wave1"), undefined, undefined]);
});

test("a retry sent together with new messages gets its first event; the new ones are all written, chained", async () => {
  const [bob] = await registerUsers(t, "bob_together");
  expect((await clientFor(t, alice!)("POST", `/rooms/${enc(roomId)}/invite`, { user_id: bob!.userId })).status).toBe(200);
  expect((await clientFor(t, bob!)("POST", `/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
  const first = await sendWithTxn("together", "first");
  // Arriving in one turn, the retry is built first and the others on top of it: the
  // writer refuses the retry in their shared transaction and builds the others again.
  const sends = [
    clientFor(t, alice!)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/together`, { msgtype: "m.text", body: "retried" }),
    ...Array.from({ length: 6 }, (_, i) =>
      clientFor(t, i % 2 ? alice! : bob!)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/together-new-${i}`, { msgtype: "m.text", body: `new ${i}` }),
    ),
  ];
  const results = await Promise.all(sends);
  for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(results[0]!.body.event_id).toBe(first);
  const newIds = results.slice(1).map((r) => r.body.event_id as string);
  expect(new Set(newIds).size).toBe(6);
  const rows = await t.hs.services.database.queryRaw<{ event_id: string; pdu: string }>("SELECT event_id, pdu FROM events WHERE room_id = ?", [roomId]);
  const stored = new Map(rows.map((r) => [r.event_id, JSON.parse(r.pdu) as { prev_events: string[]; content: { body?: string } }]));
  for (const id of newIds) expect(stored.has(id)).toBe(true);
  // Every stored event points at stored events only, and the retry's content is nowhere.
  for (const pdu of stored.values()) for (const prev of pdu.prev_events) expect(stored.has(prev)).toBe(true);
  expect([...stored.values()].filter((p) => p.content.body === "retried")).toHaveLength(0);
  const page = await clientFor(t, bob!)("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=10`);
  expect(page.body.chunk.filter((e: any) => e.content?.body?.startsWith("new ")).map((e: any) => e.event_id).sort()).toEqual([...newIds].sort());
});

test("a retry queued behind new messages gets its first event, and the messages before it are written once", async () => {
  const first = await sendWithTxn("behind", "first");
  // The new messages are built first: in their shared transaction they are inserted before
  // the unique index refuses the retry, and are written again without it.
  const sends = [
    ...Array.from({ length: 4 }, (_, i) =>
      clientFor(t, alice!)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/behind-new-${i}`, { msgtype: "m.text", body: `ahead ${i}` }),
    ),
    clientFor(t, alice!)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/behind`, { msgtype: "m.text", body: "retried behind" }),
  ];
  const results = await Promise.all(sends);
  for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(results[4]!.body.event_id).toBe(first);
  const newIds = results.slice(0, 4).map((r) => r.body.event_id as string);
  expect(new Set(newIds).size).toBe(4);
  expect(newIds).not.toContain(first);
  const rows = await t.hs.services.database.queryRaw<{ event_id: string; txn_scope: string }>(
    "SELECT event_id, txn_scope FROM events WHERE room_id = ? AND txn_id LIKE 'behind%'",
    [roomId],
  );
  // One row per transaction id: each new message once, the retry not at all.
  expect(rows.map((r) => r.event_id).sort()).toEqual([first, ...newIds].sort());
  const { events } = t.hs.services.rooms.stores;
  const scope = rows[0]!.txn_scope;
  for (let i = 0; i < 4; i++) expect(await events.eventForTxn(scope, roomId, `behind-new-${i}`)).toBe(newIds[i]);
});

test("a retry after the sender left the room gets its first event, not a refusal", async () => {
  const [carol] = await registerUsers(t, "carol_leaves");
  const c = clientFor(t, carol!);
  expect((await clientFor(t, alice!)("POST", `/rooms/${enc(roomId)}/invite`, { user_id: carol!.userId })).status).toBe(200);
  expect((await c("POST", `/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
  const first = await c("PUT", `/rooms/${enc(roomId)}/send/m.room.message/before-leaving`, { msgtype: "m.text", body: "bye" });
  expect(first.status).toBe(200);
  expect((await c("POST", `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
  const retry = await c("PUT", `/rooms/${enc(roomId)}/send/m.room.message/before-leaving`, { msgtype: "m.text", body: "bye" });
  expect(retry.status).toBe(200);
  expect(retry.body.event_id).toBe(first.body.event_id);
  // A new transaction is refused as before.
  expect((await c("PUT", `/rooms/${enc(roomId)}/send/m.room.message/after-leaving`, { msgtype: "m.text", body: "x" })).status).toBe(403);
});
