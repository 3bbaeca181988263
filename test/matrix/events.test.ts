import { describe, expect, test } from "bun:test";
import { createHash, createPublicKey, verify } from "node:crypto";
import {
  authEventIds,
  buildEvent,
  clientEventFromPdu,
  eventSizeProblem,
  prevEventIds,
  requiredSigningServers,
  type BuildEventInput,
} from "../../src/matrix/events.ts";
import { computeEventId, verifyContentHash } from "../../src/matrix/hashing.ts";
import { isValidEventId } from "../../src/matrix/identifiers.ts";
import { redactEvent } from "../../src/matrix/redaction.ts";
import { ROOM_VERSIONS } from "../../src/matrix/room-versions.ts";
import { generateSigningKey, publicKeyBase64, verifyJsonSignature } from "../../src/matrix/signing.ts";

const key = generateSigningKey();
const publicKeyObject = createPublicKey({
  key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(publicKeyBase64(key), "base64")]),
  format: "der",
  type: "spki",
});

/** The spec's canonical JSON, written plainly here: keys sorted by code point. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const points = (k: string) => Array.from(k, (c) => c.codePointAt(0)!);
    const byPoints = (a: string, b: string) => {
      const [x, y] = [points(a), points(b)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    };
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => byPoints(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const sha256Base64 = (s: string) => createHash("sha256").update(Buffer.from(s, "utf8")).digest("base64").replace(/=+$/, "");

function without(obj: object, ...keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  for (const k of keys) delete out[k];
  return out;
}

function input(version: string, extra: Partial<BuildEventInput> = {}): BuildEventInput {
  return {
    roomVersion: ROOM_VERSIONS[version],
    roomId: "!room:hs1",
    sender: "@alice:hs1",
    type: "m.room.message",
    content: { body: "hi" },
    prevEvents: ["$prev:hs1"],
    authEvents: ["$auth:hs1"],
    depth: 3,
    originServerTs: 1000,
    ...extra,
  };
}

describe("buildEvent", () => {
  test("v1/v2: server-chosen event id inside the PDU, references as pairs", () => {
    const { eventId, pdu } = buildEvent(input("1"), "hs1", key, "abcdef");
    expect(eventId).toBe("$abcdef:hs1");
    expect(pdu.event_id).toBe(eventId);
    expect(pdu.prev_events).toEqual([["$prev:hs1", {}]]);
    expect(pdu.auth_events).toEqual([["$auth:hs1", {}]]);
    expect(prevEventIds(pdu)).toEqual(["$prev:hs1"]);
    expect(authEventIds(pdu)).toEqual(["$auth:hs1"]);
    const withHash = buildEvent(input("2", { prevEvents: [["$p:hs1", { sha256: "abc" }]] }), "hs1", key);
    expect(withHash.pdu.prev_events).toEqual([["$p:hs1", { sha256: "abc" }]]);
    expect(withHash.eventId).toMatch(/^\$[A-Za-z]{18}:hs1$/);
    expect(isValidEventId(withHash.eventId, ROOM_VERSIONS["2"])).toBe(true);
  });

  test("v3+: the event id is derived and not in the PDU", () => {
    for (const v of ["3", "4", "10", "11"]) {
      const rv = ROOM_VERSIONS[v];
      const { eventId, pdu } = buildEvent(input(v), "hs1", key);
      expect(pdu.event_id).toBeUndefined();
      expect(eventId).toBe(computeEventId(pdu, rv));
      expect(isValidEventId(eventId, rv)).toBe(true);
      expect(pdu.prev_events).toEqual(["$prev:hs1"]);
    }
  });

  test("the PDU has a valid content hash and a signature over its redacted form", () => {
    for (const v of ["1", "6", "12"]) {
      const rv = ROOM_VERSIONS[v];
      const { pdu } = buildEvent(input(v, { type: "m.room.topic", stateKey: "", content: { topic: "t" } }), "hs1", key);
      expect(pdu.state_key).toBe("");
      expect(verifyContentHash(pdu)).toBe(true);
      expect(verifyJsonSignature(redactEvent(pdu, rv), "hs1", key.keyId, publicKeyBase64(key))).toBe(true);
      expect(pdu.unsigned).toBeUndefined();
    }
  });

  test("redacts sits at the top level before v11 and in content from v11", () => {
    const old = buildEvent(input("10", { type: "m.room.redaction", content: { reason: "spam" }, redacts: "$x" }), "hs1", key).pdu;
    expect(old.redacts).toBe("$x");
    expect(old.content).toEqual({ reason: "spam" });
    const v11 = buildEvent(input("11", { type: "m.room.redaction", content: { reason: "spam" }, redacts: "$x" }), "hs1", key).pdu;
    expect(v11.redacts).toBeUndefined();
    expect(v11.content).toEqual({ reason: "spam", redacts: "$x" });
  });

  test("v12: the create event has no room_id and other events need one", () => {
    const create = buildEvent(
      input("12", { roomId: undefined, type: "m.room.create", stateKey: "", content: { room_version: "12" }, prevEvents: [], authEvents: [] }),
      "hs1",
      key,
    );
    expect("room_id" in create.pdu).toBe(false);
    expect(() => buildEvent(input("12", { type: "m.room.create", stateKey: "", prevEvents: [], authEvents: [] }), "hs1", key)).toThrow(TypeError);
    expect(() => buildEvent(input("12", { roomId: undefined }), "hs1", key)).toThrow("room_id");
    expect(() => buildEvent(input("11", { roomId: undefined, type: "m.room.create", stateKey: "" }), "hs1", key)).toThrow("room_id");
  });

  test("create events never cite auth events", () => {
    const create = buildEvent(input("11", { type: "m.room.create", stateKey: "", content: {}, prevEvents: [] }), "hs1", key);
    expect(create.pdu.auth_events).toEqual([]);
  });

  test("every version and event shape: hashes, ids and signatures check out by the spec's algorithm, and the JSON is the PDU", () => {
    const shapes: Array<Partial<BuildEventInput>> = [
      {},
      { type: "m.room.member", stateKey: "@bob:hs1", content: { reason: 'spam ✓ \u0001 "q" \\', membership: "ban" } },
      {
        type: "m.room.member",
        stateKey: "@bob:hs1",
        content: { third_party_invite: { signed: { token: "t", mxid: "@bob:hs1", signatures: {} }, display_name: "b" }, membership: "invite" },
      },
      {
        type: "m.room.power_levels",
        stateKey: "",
        content: { users: { "@b:hs1": 50, "@a:hs1": 100 }, users_default: 0, ban: 50, events: { "m.room.name": 50 }, invite: 0, state_default: 50, kick: 50, redact: 50, events_default: 0 },
      },
      { type: "m.room.redaction", redacts: "$target:hs1", content: { reason: "r" } },
      { type: "m.room.join_rules", stateKey: "", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: "!other:hs1" }] } },
      { content: { body: "😀", nested: [[1, -2], { z: 1, a: [true, null] }], é: "key", "\uffff": 1, "😀": 2 } },
      // Keys an engine lists first whatever the order: the general encoder's case.
      { content: { "1digit": "x", body: "y" } },
    ];
    const versions = Object.keys(ROOM_VERSIONS);
    let generalPath = 0;
    for (const v of versions) {
      const rv = ROOM_VERSIONS[v];
      for (const shape of shapes) {
        const { eventId, pdu, json } = buildEvent(input(v, shape), "hs1", key, "abcdef");
        const contentHash = sha256Base64(canonical(without(pdu, "hashes", "signatures", "unsigned")));
        expect(pdu.hashes.sha256).toBe(contentHash);
        const signable = canonical(without(redactEvent(pdu, rv), "signatures", "unsigned"));
        // The reference hash: plain base64 in v3, URL-safe from v4.
        const reference = sha256Base64(signable);
        if (!rv.eventIdInPdu) expect(eventId).toBe(`$${v === "3" ? reference : reference.replace(/\+/g, "-").replace(/\//g, "_")}`);
        expect(verify(null, Buffer.from(signable), publicKeyObject, Buffer.from(pdu.signatures.hs1![key.keyId]!, "base64"))).toBe(true);
        if (json === undefined) generalPath++;
        else expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(pdu)));
      }
    }
    // Only the digit-key content took the general path.
    expect(generalPath).toBe(versions.length);
  });

  test("malformed input is refused", () => {
    expect(() => buildEvent(input("10", { content: { n: 1.5 } }), "hs1", key)).toThrow(TypeError);
    expect(() => buildEvent(input("10", { depth: -1 }), "hs1", key)).toThrow("depth");
    expect(() => buildEvent(input("10", { depth: 2 ** 53 }), "hs1", key)).toThrow("depth");
    expect(() => buildEvent(input("10", { originServerTs: 1.5 }), "hs1", key)).toThrow("origin_server_ts");
  });
});

describe("clientEventFromPdu", () => {
  test("a message in client format", () => {
    const { eventId, pdu } = buildEvent(input("10"), "hs1", key);
    expect(clientEventFromPdu(pdu, eventId, { roomVersion: ROOM_VERSIONS["10"], unsigned: { age: 5 } })).toEqual({
      event_id: eventId,
      room_id: "!room:hs1",
      sender: "@alice:hs1",
      type: "m.room.message",
      content: { body: "hi" },
      origin_server_ts: 1000,
      unsigned: { age: 5 },
    });
  });

  test("state events keep state_key; federation unsigned is not passed through", () => {
    const { eventId, pdu } = buildEvent(input("10", { type: "m.room.name", stateKey: "", content: { name: "n" } }), "hs1", key);
    const ev = clientEventFromPdu({ ...pdu, unsigned: { age_ts: 1 } }, eventId, { roomVersion: ROOM_VERSIONS["10"] });
    expect(ev.state_key).toBe("");
    expect(ev.unsigned).toBeUndefined();
  });

  test("redactions carry redacts at the top level and in content in every version", () => {
    for (const v of ["10", "11"]) {
      const rv = ROOM_VERSIONS[v];
      const { eventId, pdu } = buildEvent(input(v, { type: "m.room.redaction", content: {}, redacts: "$target" }), "hs1", key);
      const ev = clientEventFromPdu(pdu, eventId, { roomVersion: rv });
      expect(ev.redacts).toBe("$target");
      expect(ev.content.redacts).toBe("$target");
    }
  });

  test("before v11 the top-level redacts wins over a content.redacts the sender made up", () => {
    const { eventId, pdu } = buildEvent(input("10", { type: "m.room.redaction", content: { redacts: "$fake" }, redacts: "$real" }), "hs1", key);
    const ev = clientEventFromPdu(pdu, eventId, { roomVersion: ROOM_VERSIONS["10"] });
    expect(ev.redacts).toBe("$real");
    expect(ev.content.redacts).toBe("$real");
    expect(pdu.content.redacts).toBe("$fake"); // the PDU is untouched
  });

  test("v12 create events need the room id from the caller", () => {
    const { eventId, pdu } = buildEvent(
      input("12", { roomId: undefined, type: "m.room.create", stateKey: "", content: {}, prevEvents: [], authEvents: [] }),
      "hs1",
      key,
    );
    expect(() => clientEventFromPdu(pdu, eventId, { roomVersion: ROOM_VERSIONS["12"] })).toThrow(TypeError);
    const roomId = `!${eventId.slice(1)}`;
    expect(clientEventFromPdu(pdu, eventId, { roomVersion: ROOM_VERSIONS["12"], roomId }).room_id).toBe(roomId);
  });
});

describe("event checks", () => {
  test("size limits", () => {
    const small = buildEvent(input("10"), "hs1", key).pdu;
    expect(eventSizeProblem(small)).toBeNull();
    expect(eventSizeProblem({ ...small, content: { body: "x".repeat(66_000) } })).toContain("65536");
    expect(eventSizeProblem({ ...small, sender: `@${"a".repeat(251)}:hs1` })).toContain("sender");
    expect(eventSizeProblem(small, `$${"e".repeat(255)}`)).toContain("event_id");
  });

  test("servers that must sign an event", () => {
    const v1 = buildEvent(input("1", { sender: "@alice:hs2" }), "hs1", key, "x");
    expect(requiredSigningServers(v1.pdu, v1.eventId, ROOM_VERSIONS["1"]).sort()).toEqual(["hs1", "hs2"]);
    const join = buildEvent(
      input("10", { type: "m.room.member", stateKey: "@alice:hs1", content: { membership: "join", join_authorised_via_users_server: "@bob:hs3" } }),
      "hs1",
      key,
    );
    expect(requiredSigningServers(join.pdu, join.eventId, ROOM_VERSIONS["10"]).sort()).toEqual(["hs1", "hs3"]);
    expect(requiredSigningServers(join.pdu, join.eventId, ROOM_VERSIONS["7"])).toEqual(["hs1"]);
    const tpi = buildEvent(
      input("10", { type: "m.room.member", stateKey: "@c:hs4", content: { membership: "invite", third_party_invite: {} } }),
      "hs1",
      key,
    );
    expect(requiredSigningServers(tpi.pdu, tpi.eventId, ROOM_VERSIONS["10"])).toEqual([]);
  });
});
