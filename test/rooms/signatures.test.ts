// Verifies stored PDUs with an implementation of the spec's algorithms written here, on
// node:crypto alone: canonical JSON, content hash, redaction, reference-hash event ids,
// v12 room ids, and the server's ed25519 signature.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash, createPublicKey, verify } from "node:crypto";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver, txn, type Account } from "./helpers.ts";
import { BULK_SIGNING_MIN_EVENTS } from "../../src/rooms/chain-signatures.ts";
import { signaturePlaceholder } from "../../src/matrix/events.ts";

let t: TestHomeserver;
let alice: Account;
let bob: Account;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice, bob] = await registerUsers(t, "alice", "bob");
});
afterAll(() => t.stop());

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const unpadded = (b: Buffer) => b.toString("base64").replace(/=+$/, "");
const urlSafe = (s: string) => s.replace(/\+/g, "-").replace(/\//g, "_");
const sha256 = (s: string) => createHash("sha256").update(Buffer.from(s, "utf8")).digest();

function without(obj: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const out = { ...obj };
  for (const k of keys) delete out[k];
  return out;
}

/** The redaction algorithm of room versions 10 and 11+, for the event types used here. */
function redact(pdu: Record<string, any>, version: string): Record<string, unknown> {
  const v11 = Number(version) >= 11;
  const keep = ["event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth", "prev_events", "auth_events", "origin_server_ts"];
  if (!v11) keep.push("origin", "membership", "prev_state");
  const out: Record<string, unknown> = {};
  for (const k of keep) if (k in pdu) out[k] = pdu[k];
  const content = pdu.content ?? {};
  const keepContent: Record<string, string[] | "all"> = {
    "m.room.member": ["membership", "join_authorised_via_users_server"],
    "m.room.create": v11 ? "all" : ["creator"],
    "m.room.join_rules": ["join_rule", "allow"],
    "m.room.history_visibility": ["history_visibility"],
    "m.room.power_levels": ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default", ...(v11 ? ["invite"] : [])],
    "m.room.redaction": v11 ? ["redacts"] : [],
  };
  const kept = keepContent[pdu.type] ?? [];
  out.content = kept === "all" ? content : Object.fromEntries(kept.filter((k) => k in content).map((k) => [k, content[k]]));
  return out;
}

async function serverPublicKey(): Promise<{ keyId: string; key: ReturnType<typeof createPublicKey> }> {
  const rows = await t.hs.services.database.queryRaw<{ key_id: string; public_key: string }>("SELECT key_id, public_key FROM server_signing_keys");
  const raw = Buffer.from(rows[0]!.public_key, "base64");
  const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]);
  return { keyId: rows[0]!.key_id, key: createPublicKey({ key: spki, format: "der", type: "spki" }) };
}

async function checkEvent(eventId: string, version: string): Promise<Record<string, any>> {
  const row = await t.hs.services.rooms.stores.events.get(eventId);
  expect(row).toBeDefined();
  const pdu = JSON.parse(row!.pdu) as Record<string, any>;

  // Content hash: sha256 of the event without unsigned, signatures and hashes.
  const contentHash = unpadded(sha256(canonical(without(pdu, "unsigned", "signatures", "hashes"))));
  expect(pdu.hashes.sha256).toBe(contentHash);

  // Event id: $ + URL-safe unpadded base64 of the reference hash of the redacted event.
  const redacted = redact(pdu, version);
  const reference = sha256(canonical(without(redacted, "signatures", "unsigned")));
  expect(eventId).toBe(`$${urlSafe(unpadded(reference))}`);

  // Signature: ed25519 by this server over the redacted event without signatures and unsigned.
  const { keyId, key } = await serverPublicKey();
  const signature = pdu.signatures?.["test.local"]?.[keyId];
  expect(typeof signature).toBe("string");
  const ok = verify(null, Buffer.from(canonical(without(redacted, "signatures", "unsigned")), "utf8"), key, Buffer.from(signature, "base64"));
  expect(ok).toBe(true);
  // Tampering breaks it.
  const tampered = { ...redacted, origin_server_ts: pdu.origin_server_ts + 1 };
  expect(verify(null, Buffer.from(canonical(without(tampered, "signatures", "unsigned")), "utf8"), key, Buffer.from(signature, "base64"))).toBe(false);
  return pdu;
}

test("v12: events carry correct hashes, ids and signatures; the room id is the create event's hash", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", { preset: "public_chat", name: "Signed ✓", invite: [bob.userId] })).body.room_id;
  const events = (await a("GET", `/rooms/${enc(roomId)}/messages?dir=f&limit=50`)).body.chunk as Array<{ event_id: string; type: string }>;
  const create = await checkEvent(events[0]!.event_id, "12");
  expect(create.room_id).toBeUndefined();
  expect(roomId).toBe(`!${events[0]!.event_id.slice(1)}`);
  for (const e of events.slice(1)) {
    const pdu = await checkEvent(e.event_id, "12");
    expect(pdu.room_id).toBe(roomId);
    // v12: the create event is implied by the room id, not cited.
    expect(pdu.auth_events).not.toContain(events[0]!.event_id);
  }
  const msg = await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: "naïve café 🎉" });
  const pdu = await checkEvent(msg.body.event_id, "12");
  expect(pdu.prev_events).toEqual([events.at(-1)!.event_id]);
  expect(pdu.depth).toBe(events.length + 1);
});

test("v10: the same checks, with the create event cited and creator in its content", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", { room_version: "10" })).body.room_id;
  const events = (await a("GET", `/rooms/${enc(roomId)}/messages?dir=f&limit=50`)).body.chunk as Array<{ event_id: string }>;
  for (const e of events) await checkEvent(e.event_id, "10");
  const msg = await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "v10" });
  const pdu = await checkEvent(msg.body.event_id, "10");
  expect(pdu.auth_events).toContain(events[0]!.event_id);
});

test("a chain built in bulk (an upgrade copying 600 bans) is signed on the worker and this thread, just as correctly", async () => {
  const a = clientFor(t, alice);
  const roomId = (await a("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  // Several chunks: the worker signs the first ones while the chain is built, this
  // thread takes back those it has not started when the build is done.
  const bans = Array.from({ length: 600 }, (_, i) => ({
    type: "m.room.member",
    stateKey: `@spammer${i}:spam.example`,
    // Text PostgreSQL's array literals would misread if it were not escaped.
    content: { membership: "ban", reason: `spam ${i} "quoted" \\ {a,b} NULL ✓` },
    sender: alice.userId,
  }));
  // The size of the chain is what sends it through the signing worker.
  expect(bans.length).toBeGreaterThanOrEqual(BULK_SIGNING_MIN_EVENTS);
  const created = await t.hs.services.rooms.events.create(roomId, bans);
  expect(t.hs.services.rooms.signingPool.threaded).toBe(true);
  for (const e of created) await checkEvent(e.eventId, "12");
  const upgraded = await a("POST", `/rooms/${enc(roomId)}/upgrade`, { new_version: "12" });
  expect(upgraded.status).toBe(200);
  const newRoom = upgraded.body.replacement_room as string;
  const copied = await t.hs.services.rooms.stores.rooms.members(newRoom, "ban");
  expect(copied.length).toBe(600);
  // Their current-state rows too (new keys: written by plain inserts, a COPY on PostgreSQL).
  const state = await a("GET", `/rooms/${enc(newRoom)}/state`);
  expect(state.body.filter((e: any) => e.type === "m.room.member" && e.content.membership === "ban")).toHaveLength(600);
  for (const m of copied) {
    const pdu = await checkEvent(m.eventId, "12");
    expect(pdu.content.reason).toMatch(/^spam \d+ "quoted" \\ \{a,b\} NULL ✓$/);
    // The stored JSON is the signed event itself: no placeholder left behind.
    expect(JSON.stringify(pdu)).not.toContain(signaturePlaceholder);
  }
});
