import { describe, expect, test } from "bun:test";
import {
  canUserSend,
  notificationPowerLevel,
  parsePowerLevel,
  powerLevelsContent,
  requiredEventPowerLevel,
  roomCreators,
  stateKey,
  userPowerLevel,
} from "../../src/matrix/power-levels.ts";
import { ALICE, BOB, CAROL, MOD, makeRoom, populatedRoom } from "./room-fixture.ts";

describe("parsePowerLevel", () => {
  test("integers, legacy integer strings and truncated floats", () => {
    expect(parsePowerLevel(50)).toBe(50);
    expect(parsePowerLevel("100")).toBe(100);
    expect(parsePowerLevel(" +0100 ")).toBe(100);
    expect(parsePowerLevel("-5")).toBe(-5);
    expect(parsePowerLevel(50.57)).toBe(50);
    expect(parsePowerLevel(-0.5)).toBe(0);
    expect(Object.is(parsePowerLevel(-0.5), -0)).toBe(false);
    for (const bad of ["1.5", "ten", "", "1e3", true, null, undefined, {}, NaN, Infinity]) {
      expect(parsePowerLevel(bad)).toBeUndefined();
    }
  });
});

describe("power levels from state", () => {
  test("spec defaults when there is no power levels event (creator 100 before v12)", () => {
    const room = makeRoom("11", { powerLevels: null });
    expect(powerLevelsContent(room.state, room.rv)).toEqual({
      users: { [ALICE]: 100 },
      users_default: 0,
      events: {},
      events_default: 0,
      state_default: 50,
      ban: 50,
      kick: 50,
      redact: 50,
      invite: 0,
      notifications: { room: 50 },
    });
    expect(userPowerLevel(room.state, ALICE, room.rv)).toBe(100);
    expect(userPowerLevel(room.state, BOB, room.rv)).toBe(0);
    expect(requiredEventPowerLevel(room.state, "m.room.name", true)).toBe(50);
    expect(requiredEventPowerLevel(room.state, "m.room.message", false)).toBe(0);
  });

  test("v1-10 take the creator from content.creator", () => {
    const room = makeRoom("10", { powerLevels: null });
    expect([...roomCreators(room.state, room.rv)]).toEqual([ALICE]);
  });

  test("v12 creators are infinite with or without power levels; nobody else gets 100", () => {
    const bare = makeRoom("12", { powerLevels: null, createContent: { additional_creators: [CAROL] } });
    expect(userPowerLevel(bare.state, ALICE, bare.rv)).toBe(Infinity);
    expect(userPowerLevel(bare.state, CAROL, bare.rv)).toBe(Infinity);
    expect(userPowerLevel(bare.state, BOB, bare.rv)).toBe(0);
    expect(powerLevelsContent(bare.state, bare.rv).users).toEqual({});
    const withPl = makeRoom("12", { createContent: { additional_creators: [CAROL] } });
    expect(userPowerLevel(withPl.state, CAROL, withPl.rv)).toBe(Infinity);
    expect(userPowerLevel(withPl.state, MOD, withPl.rv)).toBe(50);
  });

  test("explicit values, users_default and events overrides", () => {
    const room = populatedRoom("10", {
      powerLevels: { users_default: 5, events: { "m.room.topic": 7, "m.reaction": 3 }, state_default: 40, events_default: 2, notifications: { room: 20 } },
    });
    expect(userPowerLevel(room.state, BOB, room.rv)).toBe(5);
    expect(userPowerLevel(room.state, MOD, room.rv)).toBe(50);
    expect(requiredEventPowerLevel(room.state, "m.room.topic", true)).toBe(7);
    expect(requiredEventPowerLevel(room.state, "m.reaction", false)).toBe(3);
    expect(requiredEventPowerLevel(room.state, "m.room.name", true)).toBe(40);
    expect(requiredEventPowerLevel(room.state, "m.room.message", false)).toBe(2);
    expect(canUserSend(room.state, BOB, "m.room.topic", true, room.rv)).toBe(false);
    expect(canUserSend(room.state, BOB, "m.reaction", false, room.rv)).toBe(true);
    expect(notificationPowerLevel(room.state)).toBe(20);
    expect(notificationPowerLevel(room.state, "other")).toBe(50);
  });

  test("legacy string values in old rooms are read as numbers", () => {
    const room = populatedRoom("5", { powerLevels: { users: { [BOB]: "30" }, ban: "60", events: { "m.room.topic": "10" } } });
    expect(userPowerLevel(room.state, BOB, room.rv)).toBe(30);
    expect(powerLevelsContent(room.state, room.rv).ban).toBe(60);
    expect(requiredEventPowerLevel(room.state, "m.room.topic", true)).toBe(10);
  });

  test("stateKey joins type and state key with NUL", () => {
    expect(stateKey("m.room.member", "@a:b")).toBe("m.room.member\u0000@a:b");
  });
});
