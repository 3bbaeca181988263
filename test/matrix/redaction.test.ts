import { describe, expect, test } from "bun:test";
import { redactEvent } from "../../src/matrix/redaction.ts";
import { ROOM_VERSIONS } from "../../src/matrix/room-versions.ts";

const base = {
  event_id: "$e:hs1",
  room_id: "!r:hs1",
  sender: "@a:hs1",
  state_key: "",
  hashes: { sha256: "h" },
  signatures: { hs1: { "ed25519:1": "s" } },
  depth: 5,
  prev_events: ["$p"],
  auth_events: ["$a"],
  origin_server_ts: 10,
  origin: "hs1",
  membership: "join",
  prev_state: [],
  unsigned: { age: 1 },
  redacts: "$x",
  extra: "gone",
};

function redacted(version: string, type: string, content: Record<string, unknown>) {
  return redactEvent({ ...base, type, content }, ROOM_VERSIONS[version]) as Record<string, unknown>;
}

const v1Keys = ["auth_events", "content", "depth", "event_id", "hashes", "membership", "origin", "origin_server_ts", "prev_events", "prev_state", "room_id", "sender", "signatures", "state_key", "type"];
const v11Keys = v1Keys.filter((k) => !["membership", "origin", "prev_state"].includes(k));

describe("top-level keys", () => {
  for (const v of ["1", "5", "6", "9", "10"]) {
    test(`v${v} keeps origin, membership and prev_state; drops unsigned, redacts and others`, () => {
      expect(Object.keys(redacted(v, "m.room.message", { body: "x" })).sort()).toEqual(v1Keys);
    });
  }
  for (const v of ["11", "12"]) {
    test(`v${v} no longer keeps origin, membership and prev_state`, () => {
      expect(Object.keys(redacted(v, "m.room.message", { body: "x" })).sort()).toEqual(v11Keys);
    });
  }
});

const memberContent = {
  membership: "join",
  displayname: "A",
  join_authorised_via_users_server: "@b:hs1",
  third_party_invite: { display_name: "x", signed: { mxid: "@a:hs1", token: "t" } },
};
const plContent = { ban: 50, events: {}, events_default: 0, kick: 50, redact: 50, state_default: 50, users: {}, users_default: 0, invite: 0, notifications: { room: 50 }, historical: 100 };

// [event type, content, versions -> expected content]
const table: [string, Record<string, unknown>, Record<string, Record<string, unknown>>][] = [
  ["m.room.message", { body: "x" }, { "1": {}, "11": {} }],
  [
    "m.room.member",
    memberContent,
    {
      "1": { membership: "join" },
      "8": { membership: "join" },
      "9": { membership: "join", join_authorised_via_users_server: "@b:hs1" },
      "10": { membership: "join", join_authorised_via_users_server: "@b:hs1" },
      "11": {
        membership: "join",
        join_authorised_via_users_server: "@b:hs1",
        third_party_invite: { signed: { mxid: "@a:hs1", token: "t" } },
      },
      "12": {
        membership: "join",
        join_authorised_via_users_server: "@b:hs1",
        third_party_invite: { signed: { mxid: "@a:hs1", token: "t" } },
      },
    },
  ],
  [
    "m.room.create",
    { creator: "@a:hs1", room_version: "1", "m.federate": false, predecessor: { room_id: "!o:hs1" } },
    {
      "1": { creator: "@a:hs1" },
      "10": { creator: "@a:hs1" },
      "11": { creator: "@a:hs1", room_version: "1", "m.federate": false, predecessor: { room_id: "!o:hs1" } },
      "12": { creator: "@a:hs1", room_version: "1", "m.federate": false, predecessor: { room_id: "!o:hs1" } },
    },
  ],
  [
    "m.room.join_rules",
    { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: "!s:hs1" }], other: 1 },
    {
      "7": { join_rule: "restricted" },
      "8": { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: "!s:hs1" }] },
      "11": { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: "!s:hs1" }] },
    },
  ],
  [
    "m.room.power_levels",
    plContent,
    {
      "1": { ban: 50, events: {}, events_default: 0, kick: 50, redact: 50, state_default: 50, users: {}, users_default: 0 },
      "10": { ban: 50, events: {}, events_default: 0, kick: 50, redact: 50, state_default: 50, users: {}, users_default: 0 },
      "11": { ban: 50, events: {}, events_default: 0, kick: 50, redact: 50, state_default: 50, users: {}, users_default: 0, invite: 0 },
    },
  ],
  ["m.room.aliases", { aliases: ["#a:hs1"], x: 1 }, { "1": { aliases: ["#a:hs1"] }, "5": { aliases: ["#a:hs1"] }, "6": {}, "11": {} }],
  ["m.room.history_visibility", { history_visibility: "shared", x: 1 }, { "1": { history_visibility: "shared" }, "11": { history_visibility: "shared" } }],
  ["m.room.redaction", { redacts: "$x", reason: "spam" }, { "1": {}, "10": {}, "11": { redacts: "$x" }, "12": { redacts: "$x" } }],
  ["m.room.name", { name: "secret" }, { "1": {}, "12": {} }],
];

describe("content kept per event type and version", () => {
  for (const [type, content, expectations] of table) {
    for (const [v, expected] of Object.entries(expectations)) {
      test(`v${v} ${type}`, () => {
        expect(redacted(v, type, content).content).toEqual(expected);
      });
    }
  }

  test("v11 member third_party_invite without signed becomes an empty object", () => {
    expect(redacted("11", "m.room.member", { membership: "invite", third_party_invite: { display_name: "x" } }).content).toEqual({
      membership: "invite",
      third_party_invite: {},
    });
  });

  test("the input is not modified and non-object content becomes {}", () => {
    const event = { ...base, type: "m.room.member", content: { ...memberContent } };
    redactEvent(event, ROOM_VERSIONS["11"]);
    expect(event.content.displayname).toBe("A");
    const odd: Record<string, unknown> = { type: "m.room.message", content: "nope" };
    expect(redactEvent(odd, ROOM_VERSIONS["11"])).toEqual({ type: "m.room.message", content: {} });
  });
});
