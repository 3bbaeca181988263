import { createHash } from "node:crypto";
import { describe, expect, test } from "bun:test";
import { decodeBase64, encodeBase64, encodeUrlSafeBase64 } from "../../src/matrix/base64.ts";
import { canonicalJson } from "../../src/matrix/canonical-json.ts";
import { buildEvent } from "../../src/matrix/events.ts";
import {
  addContentHash,
  computeContentHash,
  computeEventId,
  computeReferenceHash,
  computeRoomIdV12,
  verifyContentHash,
} from "../../src/matrix/hashing.ts";
import { redactEvent } from "../../src/matrix/redaction.ts";
import { ROOM_VERSIONS } from "../../src/matrix/room-versions.ts";
import { generateSigningKey, publicKeyBase64, signJson, signingKeyFromSeed, verifyJsonSignature } from "../../src/matrix/signing.ts";

const specKey = () => signingKeyFromSeed("1", decodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"));
const sha256b64 = (s: string) => createHash("sha256").update(s, "utf8").digest("base64").replace(/=+$/, "");

describe("event signing: spec appendix test vectors", () => {
  // Content hash, then sign the redacted event (room version 1 rules keep `origin`).
  function hashAndSign(event: Record<string, unknown>): Record<string, unknown> {
    const hashed = addContentHash(event);
    const signed = signJson(redactEvent(hashed, ROOM_VERSIONS["1"]), "domain", specKey());
    return { ...hashed, signatures: signed.signatures };
  }

  test("the minimal event", () => {
    const out = hashAndSign({
      room_id: "!x:domain",
      sender: "@a:domain",
      origin: "domain",
      origin_server_ts: 1000000,
      signatures: {},
      hashes: {},
      type: "X",
      content: {},
      prev_events: [],
      auth_events: [],
      depth: 3,
      unsigned: { age_ts: 1000000 },
    });
    expect(out.hashes).toEqual({ sha256: "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos" });
    expect(out.signatures).toEqual({
      domain: { "ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg" },
    });
    expect(out.unsigned).toEqual({ age_ts: 1000000 });
  });

  test("the event with redactable content", () => {
    const out = hashAndSign({
      content: { body: "Here is the message content" },
      event_id: "$0:domain",
      origin: "domain",
      origin_server_ts: 1000000,
      type: "m.room.message",
      room_id: "!r:domain",
      sender: "@u:domain",
      signatures: {},
      unsigned: { age_ts: 1000000 },
    });
    expect(out.hashes).toEqual({ sha256: "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g" });
    expect(out.signatures).toEqual({
      domain: { "ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA" },
    });
    expect(verifyContentHash(out)).toBe(true);
    expect(verifyContentHash({ ...out, content: { body: "changed" } })).toBe(false);
  });
});

describe("event ids", () => {
  // A real event from Synapse's test suite (rust/src/events/utils.rs), with its known ids.
  const synapseEvent = {
    auth_events: [
      "$gbHO7IPUHybc7ULFnT7P0r3iWlZFHGmr6zBfEYCUyKw",
      "$hy1eZFYcgNxMFNNBgCD5fyOzyWRcBkxfNcrUI5ZpZlE",
      "$Nt_z68EwFfPqBeHjzEHGsp461Z4EfNEzR-KH5bOYdOY",
    ],
    prev_events: ["$4FbpZrgPQTwoLD9H5y7jcikucCypUOn78mXhQX7WliY"],
    type: "m.room.message",
    room_id: "!DHmIIVvxFASSFgDGzr:localhost:8008",
    sender: "@tester_b:localhost:8008",
    content: { msgtype: "m.text", body: "invited people can see history", "m.mentions": {} },
    depth: 24,
    origin: "localhost:8008",
    origin_server_ts: 1731769874137,
    hashes: { sha256: "FoYV1w3TW/B2mVT0gX2/BZKpCwrrvGXqXFdUhN9LZYU" },
    signatures: {
      "localhost:8008": {
        "ed25519:a_phSE": "G8cfk/m97sndxMNrEZ2nMMSXkVeJE05G7if4JiVzAwGfD3TwnF/jfSHt2acWrpNqv/aEhZug3WLofc2id+rVBw",
      },
    },
    unsigned: { age_ts: 1731769874137 },
  };

  test("v4+ uses URL-safe base64, v3 standard base64, of the same reference hash", () => {
    expect(computeEventId(synapseEvent, ROOM_VERSIONS["10"])).toBe("$zRz9jjiT9wZc3Hl9ij_74aCmTjqV3YMlj9sj3Uqxg6o");
    expect(computeEventId(synapseEvent, ROOM_VERSIONS["3"])).toBe("$zRz9jjiT9wZc3Hl9ij/74aCmTjqV3YMlj9sj3Uqxg6o");
    expect(verifyContentHash(synapseEvent)).toBe(true);
  });

  test("the id does not change when the event is redacted or re-signed", () => {
    const rv = ROOM_VERSIONS["10"];
    const id = computeEventId(synapseEvent, rv);
    expect(computeEventId(redactEvent(synapseEvent, rv), rv)).toBe(id);
    expect(computeEventId({ ...synapseEvent, signatures: {}, unsigned: { x: 1 } }, rv)).toBe(id);
    expect(computeEventId({ ...synapseEvent, hashes: { sha256: "other" } }, rv)).not.toBe(id);
  });

  test("v1/v2 ids are not derived from hashes", () => {
    expect(() => computeEventId(synapseEvent, ROOM_VERSIONS["2"])).toThrow(TypeError);
  });
});

describe("a built event, checked by hand", () => {
  for (const v of ["4", "10", "11", "12"]) {
    test(`v${v}: content hash, event id and signature`, () => {
      const rv = ROOM_VERSIONS[v];
      const key = generateSigningKey();
      const { eventId, pdu } = buildEvent(
        {
          roomVersion: rv,
          roomId: "!room:hs1",
          sender: "@alice:hs1",
          type: "m.room.message",
          content: { body: "hello", msgtype: "m.text" },
          prevEvents: ["$prev"],
          authEvents: ["$auth1", "$auth2"],
          depth: 7,
          originServerTs: 1234,
        },
        "hs1",
        key,
      );
      // content hash: sha256 of canonical JSON of the event without hashes/signatures/unsigned
      const { hashes: _h, signatures: _s, ...forContent } = pdu;
      expect(pdu.hashes.sha256).toBe(sha256b64(canonicalJson(forContent)));
      // reference hash: the redacted event (content emptied for messages) without signatures
      const redacted: Record<string, unknown> = {
        auth_events: ["$auth1", "$auth2"],
        content: {},
        depth: 7,
        hashes: pdu.hashes,
        origin_server_ts: 1234,
        prev_events: ["$prev"],
        room_id: "!room:hs1",
        sender: "@alice:hs1",
        type: "m.room.message",
      };
      const refHash = createHash("sha256").update(canonicalJson(redacted), "utf8").digest();
      expect(eventId).toBe(`$${encodeUrlSafeBase64(new Uint8Array(refHash))}`);
      expect(encodeBase64(computeReferenceHash(pdu, rv))).toBe(encodeBase64(new Uint8Array(refHash)));
      // the signature covers the redacted form
      expect(verifyJsonSignature({ ...redacted, signatures: pdu.signatures }, "hs1", key.keyId, publicKeyBase64(key))).toBe(true);
      expect(verifyJsonSignature(redactEvent(pdu, rv), "hs1", key.keyId, publicKeyBase64(key))).toBe(true);
    });
  }
});

describe("v12 room ids", () => {
  test("the room id is ! + the URL-safe reference hash of the create event", () => {
    const rv = ROOM_VERSIONS["12"];
    const { eventId, pdu } = buildEvent(
      {
        roomVersion: rv,
        sender: "@alice:hs1",
        type: "m.room.create",
        stateKey: "",
        content: { room_version: "12", additional_creators: ["@bob:hs2"] },
        prevEvents: [],
        authEvents: [],
        depth: 1,
        originServerTs: 99,
      },
      "hs1",
      generateSigningKey(),
    );
    expect(pdu.room_id).toBeUndefined();
    const redacted = {
      auth_events: [],
      content: { additional_creators: ["@bob:hs2"], room_version: "12" }, // v11+ keeps all create content
      depth: 1,
      hashes: pdu.hashes,
      origin_server_ts: 99,
      prev_events: [],
      sender: "@alice:hs1",
      state_key: "",
      type: "m.room.create",
    };
    const hash = createHash("sha256").update(canonicalJson(redacted), "utf8").digest("base64url");
    expect(computeRoomIdV12(pdu)).toBe(`!${hash}`);
    expect(eventId).toBe(`$${hash}`);
    expect(() => computeRoomIdV12(pdu, ROOM_VERSIONS["11"])).toThrow(TypeError);
  });
});

describe("content hashes", () => {
  test("ignore unsigned, signatures and existing hashes but cover everything else", () => {
    const ev = { type: "m.room.message", content: { body: "a" }, sender: "@a:b" };
    const h = computeContentHash(ev);
    expect(h).toBe(sha256b64(canonicalJson(ev)));
    expect(computeContentHash({ ...ev, unsigned: { a: 1 }, signatures: { x: {} }, hashes: { sha256: "x" } })).toBe(h);
    expect(computeContentHash({ ...ev, origin: "b" })).not.toBe(h);
    expect(addContentHash({ ...ev, hashes: { other: "keep" } }).hashes).toEqual({ other: "keep", sha256: h });
  });

  test("missing or malformed hashes fail verification", () => {
    expect(verifyContentHash({ type: "x" })).toBe(false);
    expect(verifyContentHash({ type: "x", hashes: { sha256: "!!" } })).toBe(false);
  });

  test("legacy events with floats still hash (leniently)", () => {
    expect(computeContentHash({ content: { n: 1.5 } })).toBe(sha256b64('{"content":{"n":1.5}}'));
  });
});
