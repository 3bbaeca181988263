import { describe, expect, test } from "bun:test";
import { CREATABLE_ROOM_VERSIONS, DEFAULT_ROOM_VERSION, ROOM_VERSIONS, getRoomVersion } from "../../src/matrix/room-versions.ts";

const versions = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];
/** The versions (as numbers) where a flag is true. */
const where = (flag: keyof (typeof ROOM_VERSIONS)[string]) =>
  versions.filter((v) => ROOM_VERSIONS[v][flag] === true).map(Number);
const range = (from: number, to = 12) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("room version descriptors", () => {
  test("the stable versions 1..12 exist and nothing else", () => {
    expect(Object.keys(ROOM_VERSIONS).sort((a, b) => Number(a) - Number(b))).toEqual(versions);
    expect(getRoomVersion("11")?.id).toBe("11");
    expect(getRoomVersion("13")).toBeUndefined();
    expect(getRoomVersion("toString")).toBeUndefined();
    expect(getRoomVersion("org.matrix.hydra.11")).toBeUndefined();
  });

  test("defaults", () => {
    expect(DEFAULT_ROOM_VERSION).toBe("12");
    expect([...CREATABLE_ROOM_VERSIONS]).toEqual(["10", "11", "12"]);
  });

  test("event id formats", () => {
    expect(versions.map((v) => ROOM_VERSIONS[v].eventIdFormat)).toEqual([
      "server-chosen", "server-chosen", "base64-hash", ...Array(9).fill("url-safe-hash"),
    ]);
    expect(where("eventIdInPdu")).toEqual([1, 2]);
  });

  test("state resolution", () => {
    expect(versions.map((v) => ROOM_VERSIONS[v].stateResolution)).toEqual(["v1", ...Array(10).fill("v2"), "v2.1"]);
  });

  test("feature flags per the spec's room version pages", () => {
    expect(where("enforceKeyValidity")).toEqual(range(5));
    expect(where("specialCaseAliasesAuth")).toEqual(range(1, 5));
    expect(where("strictCanonicalJson")).toEqual(range(6));
    expect(where("limitNotificationsPowerLevels")).toEqual(range(6));
    expect(where("redactionAuthRule")).toEqual([1, 2]);
    expect(where("knockJoinRule")).toEqual(range(7));
    expect(where("restrictedJoinRule")).toEqual(range(8));
    expect(where("restrictedJoinRuleFix")).toEqual(range(9));
    expect(where("knockRestrictedJoinRule")).toEqual(range(10));
    expect(where("enforceIntPowerLevels")).toEqual(range(10));
    expect(where("implicitRoomCreator")).toEqual(range(11));
    expect(where("updatedRedactionRules")).toEqual(range(11));
    expect(where("redactsInContent")).toEqual(range(11));
    expect(where("privilegedCreators")).toEqual([12]);
    expect(where("roomIdIsCreateEventHash")).toEqual([12]);
    expect(where("createEventInAuthEvents")).toEqual(range(1, 11));
  });

  test("descriptors are frozen", () => {
    expect(Object.isFrozen(ROOM_VERSIONS["12"])).toBe(true);
    expect(Object.isFrozen(ROOM_VERSIONS)).toBe(true);
  });
});
