import { describe, expect, test } from "bun:test";
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, MOD, makeRoom, populatedRoom, versionsBefore, versionsFrom, type TestRoom } from "./room-fixture.ts";

/** Sends a power levels event from `sender` whose content is the current one changed by `edit`. */
function changePl(r: TestRoom, sender: string, edit: (c: Record<string, any>) => void) {
  const current = structuredClone(r.state.get("m.room.power_levels\u0000")!.pdu.content) as Record<string, any>;
  edit(current);
  return r.event(sender, "m.room.power_levels", "", current);
}

interface Case {
  name: string;
  versions: string[];
  room?: (v: string) => TestRoom;
  sender: string;
  edit: (c: Record<string, any>) => void;
  rejects: string | null;
}

const modRoom = (v: string) => populatedRoom(v, { powerLevels: { users: { [MOD]: 50, [DAVE]: 50 }, state_default: 50, ban: 50 } });

const cases: Case[] = [
  { name: "raise a user to the sender's own level", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.users[BOB] = 50), rejects: null },
  { name: "raise a user above the sender's level", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.users[BOB] = 51), rejects: "above the sender's level" },
  { name: "raise the sender's own level", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.users[MOD] = 60), rejects: "above the sender's level" },
  { name: "lower the sender's own level", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.users[MOD] = 10), rejects: null },
  { name: "demote a user at the sender's level", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.users[DAVE] = 0), rejects: "users." },
  { name: "remove a user at the sender's level", versions: ALL_VERSIONS, sender: MOD, edit: (c) => delete c.users[DAVE], rejects: "users." },
  {
    name: "remove a user below the sender's level",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { users: { [BOB]: 10 } } }),
    sender: MOD,
    edit: (c) => delete c.users[BOB],
    rejects: null,
  },
  { name: "raise users_default above own level", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.users_default = 60), rejects: "users_default" },
  { name: "change ban, currently at own level, to own level", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.ban = 40), rejects: null },
  {
    name: "change kick, currently above own level",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { kick: 75 } }),
    sender: MOD,
    edit: (c) => (c.kick = 20),
    rejects: "kick",
  },
  {
    name: "remove a named level currently above own level",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { redact: 75 } }),
    sender: MOD,
    edit: (c) => delete c.redact,
    rejects: "redact",
  },
  { name: "add an events entry at own level", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.events = { "m.room.topic": 50 }), rejects: null },
  { name: "add an events entry above own level", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.events = { "m.room.topic": 70 }), rejects: "events.m.room.topic" },
  {
    name: "lower an events entry currently above own level",
    versions: ALL_VERSIONS,
    room: (v) => populatedRoom(v, { powerLevels: { events: { "m.room.name": 100 } } }),
    sender: MOD,
    edit: (c) => (c.events["m.room.name"] = 0),
    rejects: "events.m.room.name",
  },
  {
    name: "lower notifications.room currently above own level",
    versions: versionsFrom(6),
    room: (v) => populatedRoom(v, { powerLevels: { notifications: { room: 100 } } }),
    sender: MOD,
    edit: (c) => (c.notifications.room = 0),
    rejects: "notifications.room",
  },
  {
    name: "lower notifications.room currently above own level (unchecked before v6)",
    versions: versionsBefore(6),
    room: (v) => populatedRoom(v, { powerLevels: { notifications: { room: 100 } } }),
    sender: MOD,
    edit: (c) => (c.notifications.room = 0),
    rejects: null,
  },
  { name: "a users key that is not a user id", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.users["bob"] = 0), rejects: "invalid user id" },
  { name: "users not an object", versions: ALL_VERSIONS, sender: ALICE, edit: (c) => (c.users = [1]), rejects: "users" },
  { name: "a string users value", versions: versionsFrom(10), sender: MOD, edit: (c) => (c.users[BOB] = "10"), rejects: "users" },
  { name: "a string users value", versions: versionsBefore(10), sender: MOD, edit: (c) => (c.users[BOB] = "10"), rejects: null },
  { name: "a non-numeric string users value", versions: ALL_VERSIONS, sender: MOD, edit: (c) => (c.users[BOB] = "ten"), rejects: "users" },
  { name: "a string ban level", versions: versionsFrom(10), sender: MOD, edit: (c) => (c.ban = "40"), rejects: "ban must be an integer" },
  { name: "a string ban level", versions: versionsBefore(10), sender: MOD, edit: (c) => (c.ban = " 40 "), rejects: null },
  { name: "a string events value", versions: versionsFrom(10), sender: MOD, edit: (c) => (c.events = { "m.room.topic": "5" }), rejects: "events must map" },
  { name: "a string events value", versions: versionsBefore(10), sender: MOD, edit: (c) => (c.events = { "m.room.topic": "5" }), rejects: null },
  { name: "a boolean kick level", versions: versionsFrom(10), sender: MOD, edit: (c) => (c.kick = true), rejects: "kick must be an integer" },
  { name: "by a user below the power levels event level", versions: ALL_VERSIONS, sender: BOB, edit: (c) => (c.users[BOB] = 0), rejects: "too low" },
];

describe("power levels auth rules", () => {
  for (const c of cases) {
    for (const v of c.versions) {
      test(`v${v}: ${c.name} is ${c.rejects === null ? "allowed" : "rejected"}`, () => {
        const room = (c.room ?? modRoom)(v);
        const reason = room.failure(changePl(room, c.sender, c.edit));
        if (c.rejects === null) expect(reason).toBeNull();
        else expect(reason).toContain(c.rejects);
      });
    }
  }

  test("the first power levels event is not compared with anything", () => {
    for (const v of ["1", "10", "12"]) {
      const room = makeRoom(v, { powerLevels: null });
      const content = { users: { [BOB]: 1000 }, ban: 1000, events: { "m.room.name": 1000 } };
      expect(room.failure(room.event(ALICE, "m.room.power_levels", "", content))).toBeNull();
    }
  });

  test("v10+: shape checks apply to the first power levels event too", () => {
    const room = makeRoom("10", { powerLevels: null });
    expect(room.failure(room.event(ALICE, "m.room.power_levels", "", { ban: "50" }))).toContain("ban");
  });
});

describe("v12 room creators", () => {
  const v12 = () => {
    const r = makeRoom("12", { createContent: { additional_creators: [CAROL] }, powerLevels: { users: { [BOB]: 100 } } });
    r.setMember(MOD, MOD, "join");
    r.setMember(CAROL, CAROL, "join");
    r.setMember(DAVE, DAVE, "join");
    r.setMember(BOB, BOB, "join");
    return r;
  };

  test("creators cannot be listed in power levels users", () => {
    const r = v12();
    expect(r.failure(changePl(r, ALICE, (c) => (c.users[ALICE] = 100)))).toContain("room creator");
    expect(r.failure(changePl(r, ALICE, (c) => (c.users[CAROL] = 100)))).toContain("room creator");
    expect(r.failure(changePl(r, ALICE, (c) => (c.users[DAVE] = 100)))).toBeNull();
  });

  test("before v12 the creator may be listed", () => {
    const r = populatedRoom("11");
    expect(r.failure(changePl(r, ALICE, (c) => (c.users[ALICE] = 99)))).toBeNull();
  });

  test("creators have infinite power: any level can be set, any admin demoted", () => {
    const r = v12();
    expect(r.failure(changePl(r, ALICE, (c) => (c.users[DAVE] = 2 ** 53 - 1)))).toBeNull();
    expect(r.failure(changePl(r, CAROL, (c) => (c.users[BOB] = 0)))).toBeNull();
    expect(r.failure(r.member(CAROL, BOB, "ban"))).toBeNull();
  });

  test("a level-100 admin cannot kick, ban or outrank a creator", () => {
    const r = v12();
    expect(r.failure(r.member(BOB, CAROL, "leave"))).toContain("kick");
    expect(r.failure(r.member(BOB, ALICE, "ban"))).toContain("ban");
    expect(r.failure(changePl(r, BOB, (c) => (c.users[DAVE] = 100)))).toBeNull();
    expect(r.failure(changePl(r, BOB, (c) => (c.users[DAVE] = 101)))).toContain("above");
  });

  test("creators cannot kick each other (both infinite)", () => {
    const r = v12();
    expect(r.failure(r.member(ALICE, CAROL, "leave"))).toContain("kick");
  });

  test("additional creators get no power before v12", () => {
    const r = makeRoom("11", { createContent: { additional_creators: [CAROL] } });
    r.setMember(CAROL, CAROL, "join");
    expect(r.failure(r.event(CAROL, "m.room.name", "", { name: "x" }))).toContain("too low");
  });
});
