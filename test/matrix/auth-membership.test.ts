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
  testAuthCases,
  type AuthCase,
  type RoomSetup,
  type TestRoom,
} from "./room-fixture.ts";

/** A room built by `populatedRoom(v, setup)`, then the memberships ([sender, target, membership]) applied in order. */
function room(setup: RoomSetup = {}, ...memberships: Array<[string, string, string]>): (v: string) => TestRoom {
  return (v) => {
    const r = populatedRoom(v, setup);
    for (const [sender, target, membership] of memberships) r.setMember(sender, target, membership);
    return r;
  };
}

const pub = room();

/** The member event under test. */
function member(sender: string, target: string, membership: string, extra: Record<string, unknown> = {}): AuthCase["event"] {
  return (r) => r.member(sender, target, membership, extra);
}

// The table's rows: the case's name, its room versions, the room before the event, the event, and for a rejection a substring of the reason.
function allowed(name: string, versions: string[], room: AuthCase["room"], event: AuthCase["event"]): AuthCase {
  return { name, versions, room, event, rejects: null };
}
function rejected(name: string, versions: string[], room: AuthCase["room"], event: AuthCase["event"], reason: string): AuthCase {
  return { name, versions, room, event, rejects: reason };
}

/** A restricted room that CAROL (of hs2) joined while it was public. */
function restrictedWithCarol(v: string): TestRoom {
  const r = pub(v);
  r.setMember(CAROL, CAROL, "join");
  r.send(ALICE, "m.room.join_rules", "", { join_rule: "restricted" });
  return r;
}

const daveBanned = room({}, [MOD, DAVE, "ban"]);
const restricted = room({ joinRule: "restricted" });
const knocking = room({ joinRule: "knock" });
const knockRestricted = room({ joinRule: "knock_restricted" });
const viaBob = { join_authorised_via_users_server: BOB };

const cases: AuthCase[] = [
  // join
  allowed("join a public room", ALL_VERSIONS, pub, member(DAVE, DAVE, "join")),
  rejected("join for someone else", ALL_VERSIONS, pub, member(BOB, DAVE, "join"), "on behalf"),
  rejected("join while banned", ALL_VERSIONS, daveBanned, member(DAVE, DAVE, "join"), "banned"),
  rejected(
    "non-creator claiming the creator's first join",
    ALL_VERSIONS,
    (v) => makeRoom(v, { joinRule: "invite" }),
    (r) => r.event(BOB, "m.room.member", BOB, { membership: "join" }, { prevEvents: [r.createEvent().eventId] }),
    "invite-only",
  ),
  rejected("join an invite-only room uninvited", ALL_VERSIONS, room({ joinRule: "invite" }), member(DAVE, DAVE, "join"), "invite-only"),
  allowed("join an invite-only room when invited", ALL_VERSIONS, room({ joinRule: "invite" }, [BOB, DAVE, "invite"]), member(DAVE, DAVE, "join")),
  rejected(
    "join a room without join rules event (treated as invite) uninvited",
    ALL_VERSIONS,
    (v) => {
      const r = makeRoom(v);
      r.state.delete("m.room.join_rules\u0000");
      return r;
    },
    member(DAVE, DAVE, "join"),
    "invite-only",
  ),
  allowed("join a knock room when invited", versionsFrom(7), room({ joinRule: "knock" }, [BOB, DAVE, "invite"]), member(DAVE, DAVE, "join")),
  rejected("join a knock room uninvited", versionsFrom(7), knocking, member(DAVE, DAVE, "join"), "invite-only"),
  rejected("join with an unknown join rule", ALL_VERSIONS, room({ joinRule: "private" }), member(DAVE, DAVE, "join"), "join rule is private"),
  // restricted joins
  allowed("restricted join authorised by a joined user who can invite", versionsFrom(8), restricted, member(DAVE, DAVE, "join", viaBob)),
  rejected(
    "restricted join in a version without restricted rooms",
    versionsBefore(8),
    restricted,
    member(DAVE, DAVE, "join", viaBob),
    "join rule is restricted",
  ),
  rejected("restricted join without an authorising user", versionsFrom(8), restricted, member(DAVE, DAVE, "join"), "without join_authorised"),
  rejected(
    "restricted join authorised by a non-member",
    versionsFrom(8),
    restricted,
    member(DAVE, DAVE, "join", { join_authorised_via_users_server: "@eve:hs1" }),
    "authorising user is not joined",
  ),
  rejected(
    "restricted join authorised by a user below the invite level",
    versionsFrom(8),
    room({ joinRule: "restricted", powerLevels: { invite: 50 } }),
    member(DAVE, DAVE, "join", viaBob),
    "authorising user cannot invite",
  ),
  allowed(
    "restricted join by an invited user needs no authoriser",
    versionsFrom(8),
    room({ joinRule: "restricted" }, [BOB, DAVE, "invite"]),
    member(DAVE, DAVE, "join"),
  ),
  rejected(
    "restricted join authorised by a remote user without that server's signature",
    versionsFrom(8),
    restrictedWithCarol,
    member(DAVE, DAVE, "join", { join_authorised_via_users_server: CAROL }),
    "not signed",
  ),
  allowed("restricted join authorised by a remote user, countersigned by that server", versionsFrom(8), restrictedWithCarol, (r) => {
    const ev = r.member(DAVE, DAVE, "join", { join_authorised_via_users_server: CAROL });
    const signed = signJson(redactEvent(ev.pdu, r.rv), "hs2", r.keyFor("hs2"));
    return { eventId: ev.eventId, pdu: { ...ev.pdu, signatures: signed.signatures } };
  }),
  allowed("knock_restricted join via authoriser", versionsFrom(10), knockRestricted, member(DAVE, DAVE, "join", viaBob)),
  rejected("knock_restricted join before v10", ["8", "9"], knockRestricted, member(DAVE, DAVE, "join", viaBob), "join rule is knock_restricted"),
  // invite
  allowed("member invites", ALL_VERSIONS, pub, member(BOB, DAVE, "invite")),
  rejected("non-member invites", ALL_VERSIONS, pub, member(CAROL, DAVE, "invite"), "inviter is not joined"),
  rejected("invite a joined user", ALL_VERSIONS, pub, member(MOD, BOB, "invite"), "membership is join"),
  rejected("invite a banned user", ALL_VERSIONS, daveBanned, member(MOD, DAVE, "invite"), "membership is ban"),
  rejected("invite below the invite level", ALL_VERSIONS, room({ powerLevels: { invite: 50 } }), member(BOB, DAVE, "invite"), "below the invite level"),
  allowed("invite at the invite level", ALL_VERSIONS, room({ powerLevels: { invite: 50 } }), member(MOD, DAVE, "invite")),
  // leave and kick
  allowed("joined user leaves", ALL_VERSIONS, pub, member(BOB, BOB, "leave")),
  allowed("invited user rejects the invite", ALL_VERSIONS, room({}, [BOB, DAVE, "invite"]), member(DAVE, DAVE, "leave")),
  allowed("knocking user withdraws the knock", versionsFrom(7), room({ joinRule: "knock" }, [DAVE, DAVE, "knock"]), member(DAVE, DAVE, "leave")),
  rejected("non-member leaves", ALL_VERSIONS, pub, member(DAVE, DAVE, "leave"), "membership none"),
  rejected("banned user unbans themself", ALL_VERSIONS, daveBanned, member(DAVE, DAVE, "leave"), "membership ban"),
  allowed("moderator kicks", ALL_VERSIONS, pub, member(MOD, BOB, "leave")),
  rejected("user without kick power kicks", ALL_VERSIONS, pub, member(BOB, MOD, "leave"), "kick"),
  rejected("kick a user of equal level", ALL_VERSIONS, room({ powerLevels: { users_default: 50 } }), member(MOD, BOB, "leave"), "kick"),
  rejected("kick with a level below the kick level", ALL_VERSIONS, room({ powerLevels: { kick: 60 } }), member(MOD, BOB, "leave"), "kick"),
  rejected("non-member kicks", ALL_VERSIONS, room({ powerLevels: { users_default: 0 } }), member("@eve:hs1", BOB, "leave"), "not joined"),
  allowed("unban at the ban level", ALL_VERSIONS, daveBanned, member(MOD, DAVE, "leave")),
  rejected(
    "unban with kick but not ban level",
    ALL_VERSIONS,
    room({ powerLevels: { ban: 60, kick: 50 } }, [ALICE, DAVE, "ban"]),
    member(MOD, DAVE, "leave"),
    "unbanning",
  ),
  // ban
  allowed("moderator bans", ALL_VERSIONS, pub, member(MOD, DAVE, "ban")),
  rejected("ban without ban power", ALL_VERSIONS, pub, member(BOB, DAVE, "ban"), "banning"),
  rejected("ban someone of higher level", ALL_VERSIONS, pub, member(MOD, ALICE, "ban"), "banning"),
  rejected("ban by a non-member", ALL_VERSIONS, room({ powerLevels: { users: { "@eve:hs1": 90, [MOD]: 50 } } }), member("@eve:hs1", BOB, "ban"), "not joined"),
  // knock
  allowed("knock on a knock room", versionsFrom(7), knocking, member(DAVE, DAVE, "knock")),
  rejected("knock in a version without knocking", versionsBefore(7), knocking, member(DAVE, DAVE, "knock"), "does not support knocking"),
  rejected("knock on a public room", versionsFrom(7), pub, member(DAVE, DAVE, "knock"), "join rule is public"),
  rejected("knock for someone else", versionsFrom(7), knocking, member(BOB, DAVE, "knock"), "on behalf"),
  rejected("knock while banned", versionsFrom(7), room({ joinRule: "knock" }, [MOD, DAVE, "ban"]), member(DAVE, DAVE, "knock"), "membership ban"),
  rejected("knock while joined", versionsFrom(7), knocking, member(BOB, BOB, "knock"), "membership join"),
  allowed("knock on knock_restricted", versionsFrom(10), knockRestricted, member(DAVE, DAVE, "knock")),
  rejected("knock on knock_restricted before v10", ["7", "8", "9"], knockRestricted, member(DAVE, DAVE, "knock"), "join rule is knock_restricted"),
  // malformed
  rejected("unknown membership", ALL_VERSIONS, pub, member(BOB, BOB, "dance"), "unknown membership"),
  rejected("member event without membership", ALL_VERSIONS, pub, (r) => r.event(BOB, "m.room.member", BOB, { displayname: "Bob" }), "content.membership"),
];

describe("membership auth rules", () => {
  testAuthCases(cases);
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
