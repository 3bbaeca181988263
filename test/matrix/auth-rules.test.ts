import { describe, expect, test } from "bun:test";
import { AuthError, authorizeEvent } from "../../src/matrix/auth-rules.ts";
import {
  ALICE,
  ALL_VERSIONS,
  BOB,
  CAROL,
  DAVE,
  MOD,
  TestRoom,
  makeRoom,
  populatedRoom,
  versionsBefore,
  versionsFrom,
  testAuthCases,
  type AuthCase,
} from "./room-fixture.ts";

const pub = (v: string) => populatedRoom(v);
const fresh = (v: string) => new TestRoom(v);

function createContent(r: TestRoom, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return r.rv.implicitRoomCreator ? { room_version: r.version, ...extra } : { creator: ALICE, room_version: r.version, ...extra };
}

function createEvent(r: TestRoom, extra: Record<string, unknown> = {}, opts: { roomId?: string; prev?: string[] } = {}) {
  if (!r.rv.roomIdIsCreateEventHash) r.roomId = "!room:hs1";
  return r.event(ALICE, "m.room.create", "", createContent(r, extra), { roomId: opts.roomId, prevEvents: opts.prev ?? [] });
}

const cases: AuthCase[] = [
  // 1. m.room.create
  { name: "a plain create event", versions: ALL_VERSIONS, room: fresh, event: (r) => createEvent(r), rejects: null },
  {
    name: "create with prev_events",
    versions: ALL_VERSIONS,
    room: fresh,
    event: (r) => createEvent(r, {}, { prev: ["$other:hs1"] }),
    rejects: "prev_events",
  },
  {
    name: "create whose room_id domain differs from the sender's",
    versions: versionsBefore(12),
    room: fresh,
    event: (r) => createEvent(r, {}, { roomId: "!room:elsewhere" }),
    rejects: "domain",
  },
  {
    name: "create with a room_id",
    versions: ["12"],
    room: fresh,
    event: (r) => {
      // The builder refuses to make this; a remote server might still send it.
      const ev = createEvent(r);
      return { eventId: ev.eventId, pdu: { ...ev.pdu, room_id: "!room:hs1" } };
    },
    rejects: "must not have a room_id",
  },
  {
    name: "create naming an unknown room version",
    versions: ALL_VERSIONS,
    room: fresh,
    event: (r) => createEvent(r, { room_version: "999" }),
    rejects: "unknown room version",
  },
  {
    name: "create without creator",
    versions: versionsBefore(11),
    room: fresh,
    event: (r) => r.event(ALICE, "m.room.create", "", { room_version: r.version }, { roomId: "!room:hs1", prevEvents: [] }),
    rejects: "no creator",
  },
  {
    name: "create without creator",
    versions: versionsFrom(11),
    room: fresh,
    event: (r) => createEvent(r),
    rejects: null,
  },
  {
    name: "create with valid additional_creators",
    versions: ["12"],
    room: fresh,
    event: (r) => createEvent(r, { additional_creators: [BOB, CAROL] }),
    rejects: null,
  },
  {
    name: "create with additional_creators holding a non-user-id",
    versions: ["12"],
    room: fresh,
    event: (r) => createEvent(r, { additional_creators: [BOB, "not a user"] }),
    rejects: "additional_creators",
  },
  {
    name: "create with additional_creators not an array",
    versions: ["12"],
    room: fresh,
    event: (r) => createEvent(r, { additional_creators: BOB }),
    rejects: "additional_creators",
  },
  // v12 rule 2
  {
    name: "event whose room_id is not the create event's",
    versions: ["12"],
    room: pub,
    event: (r) => r.event(BOB, "m.room.message", undefined, { body: "hi" }, { roomId: "!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }),
    rejects: "room_id does not match",
  },
  // m.federate
  {
    name: "remote join to a non-federating room",
    versions: ALL_VERSIONS,
    room: (v) => makeRoom(v, { createContent: { "m.federate": false } }),
    event: (r) => r.member(CAROL, CAROL, "join"),
    rejects: "does not federate",
  },
  {
    name: "local join to a non-federating room",
    versions: ALL_VERSIONS,
    room: (v) => makeRoom(v, { createContent: { "m.federate": false } }),
    event: (r) => r.member(BOB, BOB, "join"),
    rejects: null,
  },
  // v1-5 aliases
  {
    name: "aliases for the sender's own server, even unjoined",
    versions: versionsBefore(6),
    room: pub,
    event: (r) => r.event(CAROL, "m.room.aliases", "hs2", { aliases: ["#a:hs2"] }),
    rejects: null,
  },
  {
    name: "aliases for another server",
    versions: versionsBefore(6),
    room: pub,
    event: (r) => r.event(BOB, "m.room.aliases", "hs2", { aliases: ["#a:hs2"] }),
    rejects: "sender's server",
  },
  {
    name: "aliases as an ordinary state event by a user below state_default",
    versions: versionsFrom(6),
    room: pub,
    event: (r) => r.event(BOB, "m.room.aliases", "hs1", { aliases: ["#a:hs1"] }),
    rejects: "too low",
  },
  // sender membership, power, state keys
  { name: "message by a member", versions: ALL_VERSIONS, room: pub, event: (r) => r.event(BOB, "m.room.message", undefined, { body: "hi" }), rejects: null },
  {
    name: "message by a non-member",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.event(DAVE, "m.room.message", undefined, { body: "hi" }),
    rejects: "not joined",
  },
  {
    name: "state event by a non-member",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { state_default: 0 } }),
    event: (r) => r.event(DAVE, "m.room.topic", "", { topic: "x" }),
    rejects: "not joined",
  },
  {
    name: "message by an invited user",
    versions: ALL_VERSIONS,
    room: (v) => {
      const r = pub(v);
      r.setMember(BOB, DAVE, "invite");
      return r;
    },
    event: (r) => r.event(DAVE, "m.room.message", undefined, { body: "hi" }),
    rejects: "not joined",
  },
  {
    name: "state event below state_default",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.event(BOB, "m.room.topic", "", { topic: "x" }),
    rejects: "too low",
  },
  {
    name: "state event allowed by an events override",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { events: { "m.room.topic": 0 } } }),
    event: (r) => r.event(BOB, "m.room.topic", "", { topic: "x" }),
    rejects: null,
  },
  {
    name: "message below events_default",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { events_default: 10 } }),
    event: (r) => r.event(BOB, "m.room.message", undefined, { body: "hi" }),
    rejects: "too low",
  },
  {
    name: "state_key naming another user",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { state_default: 0 } }),
    event: (r) => r.event(BOB, "org.example.status", MOD, { s: 1 }),
    rejects: "state_key starting with @",
  },
  {
    name: "state_key naming the sender",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { state_default: 0 } }),
    event: (r) => r.event(BOB, "org.example.status", BOB, { s: 1 }),
    rejects: null,
  },
  // third_party_invite events
  {
    name: "third_party_invite at the invite level",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.event(BOB, "m.room.third_party_invite", "tok", { public_key: "AAAA" }),
    rejects: null,
  },
  {
    name: "third_party_invite below the invite level",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { invite: 10 } }),
    event: (r) => r.event(BOB, "m.room.third_party_invite", "tok", { public_key: "AAAA" }),
    rejects: "invite level",
  },
  // redaction: v1-2 rule 11, later versions leave it to the redaction handling
  {
    name: "redacting a same-server event without the redact level",
    versions: ["1", "2"],
    room: pub,
    event: (r) => r.event(BOB, "m.room.redaction", undefined, {}, { redacts: "$abc:hs1" }),
    rejects: null,
  },
  {
    name: "redacting another server's event without the redact level",
    versions: ["1", "2"],
    room: pub,
    event: (r) => r.event(BOB, "m.room.redaction", undefined, {}, { redacts: "$abc:hs2" }),
    rejects: "redact level",
  },
  {
    name: "redacting another server's event with the redact level",
    versions: ["1", "2"],
    room: pub,
    event: (r) => r.event(MOD, "m.room.redaction", undefined, {}, { redacts: "$abc:hs2" }),
    rejects: null,
  },
  {
    name: "redacting another server's event without the redact level",
    versions: versionsFrom(3),
    room: pub,
    event: (r) => r.event(BOB, "m.room.redaction", undefined, {}, { redacts: "$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq" }),
    rejects: null,
  },
  {
    name: "redaction below the m.room.redaction event level",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { events: { "m.room.redaction": 10 } } }),
    event: (r) => r.event(BOB, "m.room.redaction", undefined, {}, { redacts: "$abc:hs1" }),
    rejects: "too low",
  },
  // size limits
  {
    name: "an event over 64 KiB",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.event(BOB, "m.room.message", undefined, { body: "x".repeat(70_000) }),
    rejects: "larger than",
  },
  {
    name: "a state_key over 255 bytes",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { state_default: 0 } }),
    event: (r) => r.event(BOB, "org.example", "é".repeat(128), {}),
    rejects: "state_key",
  },
  {
    name: "a type over 255 bytes",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.event(BOB, "t".repeat(256), undefined, {}),
    rejects: "type",
  },
];

describe("auth rules", () => {
  testAuthCases(cases);

  test("authorizeEvent throws AuthError with the reason", () => {
    const room = pub("11");
    const ev = room.event(DAVE, "m.room.message", undefined, { body: "hi" });
    expect(() => authorizeEvent(ev.pdu, room.state, room.rv)).toThrow(AuthError);
    try {
      authorizeEvent(ev.pdu, room.state, room.rv);
    } catch (err) {
      expect((err as AuthError).reason).toContain("not joined");
    }
  });

  test("malformed events are rejected, not crashed on", () => {
    const room = pub("9");
    const ev = room.event(ALICE, "m.room.power_levels", "", { users: {} });
    for (const broken of [{ content: "x" }, { content: null }, { type: 5 }, { state_key: 1 }, { sender: undefined }]) {
      expect(room.failure({ eventId: ev.eventId, pdu: { ...ev.pdu, ...broken } as never })).toContain("malformed");
    }
    const create = room.createEvent();
    expect(room.failure({ eventId: create.eventId, pdu: { ...create.pdu, content: "x" } as never })).toContain("malformed");
  });

  test("an event is rejected when the auth state has no create event", () => {
    const room = pub("10");
    const ev = room.event(BOB, "m.room.message", undefined, { body: "hi" });
    room.state.delete("m.room.create\u0000");
    expect(room.failure(ev)).toContain("m.room.create");
  });

  test("without a power levels event only the creator can send state (pre-v12: creator has 100)", () => {
    for (const v of ["1", "6", "11", "12"]) {
      const room = makeRoom(v, { powerLevels: null });
      room.setMember(BOB, BOB, "join");
      expect(room.failure(room.event(ALICE, "m.room.name", "", { name: "n" }))).toBeNull();
      expect(room.failure(room.event(BOB, "m.room.name", "", { name: "n" }))).toContain("too low");
      expect(room.failure(room.event(BOB, "m.room.message", undefined, { body: "b" }))).toBeNull();
    }
  });
});
