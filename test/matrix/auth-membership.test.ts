import { describe, expect, test } from "bun:test";
import { signJson } from "../../src/matrix/signing.ts";
import { redactEvent } from "../../src/matrix/redaction.ts";
import { encodeBase64 } from "../../src/matrix/base64.ts";
import { generateSigningKey } from "../../src/matrix/signing.ts";
import {
  ALICE,
  ALL_VERSIONS,
  BOB,
  CAROL,
  DAVE,
  MOD,
  makeRoom,
  populatedRoom,
  versionsBefore,
  versionsFrom,
  type TestRoom,
} from "./room-fixture.ts";
import type { StoredEvent } from "../../src/matrix/events.ts";

interface Case {
  name: string;
  versions: string[];
  room: (v: string) => TestRoom;
  event: (room: TestRoom) => StoredEvent;
  allow: boolean;
  /** A substring of the expected rejection reason. */
  reason?: string;
}

const pub = (v: string) => populatedRoom(v);

const cases: Case[] = [
  // join
  { name: "join a public room", versions: ALL_VERSIONS, room: pub, event: (r) => r.member(DAVE, DAVE, "join"), allow: true },
  {
    name: "join for someone else",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.member(BOB, DAVE, "join"),
    allow: false,
    reason: "on behalf",
  },
  {
    name: "join while banned",
    versions: ALL_VERSIONS,
    room: (v) => {
      const r = pub(v);
      r.setMember(MOD, DAVE, "ban");
      return r;
    },
    event: (r) => r.member(DAVE, DAVE, "join"),
    allow: false,
    reason: "banned",
  },
  {
    name: "non-creator claiming the creator's first join",
    versions: ALL_VERSIONS,
    room: (v) => makeRoom(v, { joinRule: "invite" }),
    event: (r) => r.event(BOB, "m.room.member", BOB, { membership: "join" }, { prevEvents: [r.createEvent().eventId] }),
    allow: false,
    reason: "invite-only",
  },
  {
    name: "join an invite-only room uninvited",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { joinRule: "invite" }),
    event: (r) => r.member(DAVE, DAVE, "join"),
    allow: false,
    reason: "invite-only",
  },
  {
    name: "join an invite-only room when invited",
    versions: ALL_VERSIONS,
    room: (v) => {
      const r = populatedRoom(v, { joinRule: "invite" });
      r.setMember(BOB, DAVE, "invite");
      return r;
    },
    event: (r) => r.member(DAVE, DAVE, "join"),
    allow: true,
  },
  {
    name: "join a room without join rules event (treated as invite) uninvited",
    versions: ALL_VERSIONS,
    room: (v) => {
      const r = makeRoom(v);
      r.state.delete("m.room.join_rules\u0000");
      return r;
    },
    event: (r) => r.member(DAVE, DAVE, "join"),
    allow: false,
    reason: "invite-only",
  },
  {
    name: "join a knock room when invited",
    versions: versionsFrom(7),
    room: (v) => {
      const r = populatedRoom(v, { joinRule: "knock" });
      r.setMember(BOB, DAVE, "invite");
      return r;
    },
    event: (r) => r.member(DAVE, DAVE, "join"),
    allow: true,
  },
  {
    name: "join a knock room uninvited",
    versions: versionsFrom(7),
    room: (v) => populatedRoom(v, { joinRule: "knock" }),
    event: (r) => r.member(DAVE, DAVE, "join"),
    allow: false,
    reason: "invite-only",
  },
  {
    name: "join with an unknown join rule",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { joinRule: "private" }),
    event: (r) => r.member(DAVE, DAVE, "join"),
    allow: false,
    reason: "join rule is private",
  },
  // restricted joins
  {
    name: "restricted join authorised by a joined user who can invite",
    versions: versionsFrom(8),
    room: (v) => populatedRoom(v, { joinRule: "restricted" }),
    event: (r) => r.member(DAVE, DAVE, "join", { join_authorised_via_users_server: BOB }),
    allow: true,
  },
  {
    name: "restricted join in a version without restricted rooms",
    versions: versionsBefore(8),
    room: (v) => populatedRoom(v, { joinRule: "restricted" }),
    event: (r) => r.member(DAVE, DAVE, "join", { join_authorised_via_users_server: BOB }),
    allow: false,
    reason: "join rule is restricted",
  },
  {
    name: "restricted join without an authorising user",
    versions: versionsFrom(8),
    room: (v) => populatedRoom(v, { joinRule: "restricted" }),
    event: (r) => r.member(DAVE, DAVE, "join"),
    allow: false,
    reason: "without join_authorised",
  },
  {
    name: "restricted join authorised by a non-member",
    versions: versionsFrom(8),
    room: (v) => populatedRoom(v, { joinRule: "restricted" }),
    event: (r) => r.member(DAVE, DAVE, "join", { join_authorised_via_users_server: "@eve:hs1" }),
    allow: false,
    reason: "authorising user is not joined",
  },
  {
    name: "restricted join authorised by a user below the invite level",
    versions: versionsFrom(8),
    room: (v) => populatedRoom(v, { joinRule: "restricted", powerLevels: { invite: 50 } }),
    event: (r) => r.member(DAVE, DAVE, "join", { join_authorised_via_users_server: BOB }),
    allow: false,
    reason: "authorising user cannot invite",
  },
  {
    name: "restricted join by an invited user needs no authoriser",
    versions: versionsFrom(8),
    room: (v) => {
      const r = populatedRoom(v, { joinRule: "restricted" });
      r.setMember(BOB, DAVE, "invite");
      return r;
    },
    event: (r) => r.member(DAVE, DAVE, "join"),
    allow: true,
  },
  {
    name: "restricted join authorised by a remote user without that server's signature",
    versions: versionsFrom(8),
    room: (v) => {
      const r = pub(v);
      r.setMember(CAROL, CAROL, "join");
      r.send(ALICE, "m.room.join_rules", "", { join_rule: "restricted" });
      return r;
    },
    event: (r) => r.member(DAVE, DAVE, "join", { join_authorised_via_users_server: CAROL }),
    allow: false,
    reason: "not signed",
  },
  {
    name: "restricted join authorised by a remote user, countersigned by that server",
    versions: versionsFrom(8),
    room: (v) => {
      const r = pub(v);
      r.setMember(CAROL, CAROL, "join");
      r.send(ALICE, "m.room.join_rules", "", { join_rule: "restricted" });
      return r;
    },
    event: (r) => {
      const ev = r.member(DAVE, DAVE, "join", { join_authorised_via_users_server: CAROL });
      const signed = signJson(redactEvent(ev.pdu, r.rv), "hs2", r.keyFor("hs2"));
      return { eventId: ev.eventId, pdu: { ...ev.pdu, signatures: signed.signatures } };
    },
    allow: true,
  },
  {
    name: "knock_restricted join via authoriser",
    versions: versionsFrom(10),
    room: (v) => populatedRoom(v, { joinRule: "knock_restricted" }),
    event: (r) => r.member(DAVE, DAVE, "join", { join_authorised_via_users_server: BOB }),
    allow: true,
  },
  {
    name: "knock_restricted join before v10",
    versions: ["8", "9"],
    room: (v) => populatedRoom(v, { joinRule: "knock_restricted" }),
    event: (r) => r.member(DAVE, DAVE, "join", { join_authorised_via_users_server: BOB }),
    allow: false,
    reason: "join rule is knock_restricted",
  },
  // invite
  { name: "member invites", versions: ALL_VERSIONS, room: pub, event: (r) => r.member(BOB, DAVE, "invite"), allow: true },
  {
    name: "non-member invites",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.member(CAROL, DAVE, "invite"),
    allow: false,
    reason: "inviter is not joined",
  },
  {
    name: "invite a joined user",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.member(MOD, BOB, "invite"),
    allow: false,
    reason: "membership is join",
  },
  {
    name: "invite a banned user",
    versions: ALL_VERSIONS,
    room: (v) => {
      const r = pub(v);
      r.setMember(MOD, DAVE, "ban");
      return r;
    },
    event: (r) => r.member(MOD, DAVE, "invite"),
    allow: false,
    reason: "membership is ban",
  },
  {
    name: "invite below the invite level",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { invite: 50 } }),
    event: (r) => r.member(BOB, DAVE, "invite"),
    allow: false,
    reason: "below the invite level",
  },
  {
    name: "invite at the invite level",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { invite: 50 } }),
    event: (r) => r.member(MOD, DAVE, "invite"),
    allow: true,
  },
  // leave and kick
  { name: "joined user leaves", versions: ALL_VERSIONS, room: pub, event: (r) => r.member(BOB, BOB, "leave"), allow: true },
  {
    name: "invited user rejects the invite",
    versions: ALL_VERSIONS,
    room: (v) => {
      const r = pub(v);
      r.setMember(BOB, DAVE, "invite");
      return r;
    },
    event: (r) => r.member(DAVE, DAVE, "leave"),
    allow: true,
  },
  {
    name: "knocking user withdraws the knock",
    versions: versionsFrom(7),
    room: (v) => {
      const r = populatedRoom(v, { joinRule: "knock" });
      r.setMember(DAVE, DAVE, "knock");
      return r;
    },
    event: (r) => r.member(DAVE, DAVE, "leave"),
    allow: true,
  },
  {
    name: "non-member leaves",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.member(DAVE, DAVE, "leave"),
    allow: false,
    reason: "membership none",
  },
  {
    name: "banned user unbans themself",
    versions: ALL_VERSIONS,
    room: (v) => {
      const r = pub(v);
      r.setMember(MOD, DAVE, "ban");
      return r;
    },
    event: (r) => r.member(DAVE, DAVE, "leave"),
    allow: false,
    reason: "membership ban",
  },
  { name: "moderator kicks", versions: ALL_VERSIONS, room: pub, event: (r) => r.member(MOD, BOB, "leave"), allow: true },
  {
    name: "user without kick power kicks",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.member(BOB, MOD, "leave"),
    allow: false,
    reason: "kick",
  },
  {
    name: "kick a user of equal level",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { users_default: 50 } }),
    event: (r) => r.member(MOD, BOB, "leave"),
    allow: false,
    reason: "kick",
  },
  {
    name: "kick with a level below the kick level",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { kick: 60 } }),
    event: (r) => r.member(MOD, BOB, "leave"),
    allow: false,
    reason: "kick",
  },
  {
    name: "non-member kicks",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { users_default: 0 } }),
    event: (r) => r.member("@eve:hs1", BOB, "leave"),
    allow: false,
    reason: "not joined",
  },
  {
    name: "unban at the ban level",
    versions: ALL_VERSIONS,
    room: (v) => {
      const r = pub(v);
      r.setMember(MOD, DAVE, "ban");
      return r;
    },
    event: (r) => r.member(MOD, DAVE, "leave"),
    allow: true,
  },
  {
    name: "unban with kick but not ban level",
    versions: ALL_VERSIONS,
    room: (v) => {
      const r = populatedRoom(v, { powerLevels: { ban: 60, kick: 50 } });
      r.setMember(ALICE, DAVE, "ban");
      return r;
    },
    event: (r) => r.member(MOD, DAVE, "leave"),
    allow: false,
    reason: "unbanning",
  },
  // ban
  { name: "moderator bans", versions: ALL_VERSIONS, room: pub, event: (r) => r.member(MOD, DAVE, "ban"), allow: true },
  {
    name: "ban without ban power",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.member(BOB, DAVE, "ban"),
    allow: false,
    reason: "banning",
  },
  {
    name: "ban someone of higher level",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.member(MOD, ALICE, "ban"),
    allow: false,
    reason: "banning",
  },
  {
    name: "ban by a non-member",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { users: { "@eve:hs1": 90, [MOD]: 50 } } }),
    event: (r) => r.member("@eve:hs1", BOB, "ban"),
    allow: false,
    reason: "not joined",
  },
  // knock
  {
    name: "knock on a knock room",
    versions: versionsFrom(7),
    room: (v) => populatedRoom(v, { joinRule: "knock" }),
    event: (r) => r.member(DAVE, DAVE, "knock"),
    allow: true,
  },
  {
    name: "knock in a version without knocking",
    versions: versionsBefore(7),
    room: (v) => populatedRoom(v, { joinRule: "knock" }),
    event: (r) => r.member(DAVE, DAVE, "knock"),
    allow: false,
    reason: "does not support knocking",
  },
  {
    name: "knock on a public room",
    versions: versionsFrom(7),
    room: pub,
    event: (r) => r.member(DAVE, DAVE, "knock"),
    allow: false,
    reason: "join rule is public",
  },
  {
    name: "knock for someone else",
    versions: versionsFrom(7),
    room: (v) => populatedRoom(v, { joinRule: "knock" }),
    event: (r) => r.member(BOB, DAVE, "knock"),
    allow: false,
    reason: "on behalf",
  },
  {
    name: "knock while banned",
    versions: versionsFrom(7),
    room: (v) => {
      const r = populatedRoom(v, { joinRule: "knock" });
      r.setMember(MOD, DAVE, "ban");
      return r;
    },
    event: (r) => r.member(DAVE, DAVE, "knock"),
    allow: false,
    reason: "membership ban",
  },
  {
    name: "knock while joined",
    versions: versionsFrom(7),
    room: (v) => populatedRoom(v, { joinRule: "knock" }),
    event: (r) => r.member(BOB, BOB, "knock"),
    allow: false,
    reason: "membership join",
  },
  {
    name: "knock on knock_restricted",
    versions: versionsFrom(10),
    room: (v) => populatedRoom(v, { joinRule: "knock_restricted" }),
    event: (r) => r.member(DAVE, DAVE, "knock"),
    allow: true,
  },
  {
    name: "knock on knock_restricted before v10",
    versions: ["7", "8", "9"],
    room: (v) => populatedRoom(v, { joinRule: "knock_restricted" }),
    event: (r) => r.member(DAVE, DAVE, "knock"),
    allow: false,
    reason: "join rule is knock_restricted",
  },
  // malformed
  {
    name: "unknown membership",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.member(BOB, BOB, "dance"),
    allow: false,
    reason: "unknown membership",
  },
  {
    name: "member event without membership",
    versions: ALL_VERSIONS,
    room: pub,
    event: (r) => r.event(BOB, "m.room.member", BOB, { displayname: "Bob" }),
    allow: false,
    reason: "content.membership",
  },
];

describe("membership auth rules", () => {
  for (const c of cases) {
    for (const v of c.versions) {
      test(`v${v}: ${c.name} is ${c.allow ? "allowed" : "rejected"}`, () => {
        const room = c.room(v);
        const reason = room.failure(c.event(room));
        if (c.allow) expect(reason).toBeNull();
        else expect(reason).toContain(c.reason!);
      });
    }
  }
});

describe("third-party invites", () => {
  const identityKey = generateSigningKey("0");

  function roomWithPendingInvite(v: string): TestRoom {
    const r = populatedRoom(v);
    r.send(BOB, "m.room.third_party_invite", "tok", {
      display_name: "d...@example.org",
      key_validity_url: "https://id.example.org/_matrix/identity/v2/pubkey/isvalid",
      public_key: encodeBase64(identityKey.publicKey),
    });
    return r;
  }

  function invite(r: TestRoom, opts: { sender?: string; mxid?: string; token?: string; key?: typeof identityKey } = {}) {
    const signed = signJson({ mxid: opts.mxid ?? DAVE, token: opts.token ?? "tok" }, "id.example.org", opts.key ?? identityKey);
    return r.member(opts.sender ?? BOB, DAVE, "invite", { third_party_invite: { display_name: "d...", signed } });
  }

  for (const v of ["1", "6", "11", "12"]) {
    test(`v${v}: a properly signed third-party invite is allowed`, () => {
      const r = roomWithPendingInvite(v);
      expect(r.failure(invite(r))).toBeNull();
    });
    test(`v${v}: invalid third-party invites are rejected`, () => {
      const r = roomWithPendingInvite(v);
      expect(r.failure(invite(r, { mxid: "@other:hs1" }))).toContain("mxid");
      expect(r.failure(invite(r, { token: "other" }))).toContain("third_party_invite");
      expect(r.failure(invite(r, { sender: MOD }))).toContain("sender");
      expect(r.failure(invite(r, { key: generateSigningKey("0") }))).toContain("signature");
      const noSigned = r.member(BOB, DAVE, "invite", { third_party_invite: { display_name: "d" } });
      expect(r.failure(noSigned)).toContain("signed");
    });
    test(`v${v}: a third-party invite of a banned user is rejected`, () => {
      const r = roomWithPendingInvite(v);
      r.setMember(MOD, DAVE, "ban");
      expect(r.failure(invite(r))).toContain("banned");
    });
  }
});
