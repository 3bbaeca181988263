// Pure parts of the directory and room upgrades: canonical alias rules, the public room
// list's order and pagination, power levels across an upgrade, m.direct, restricted rules.
import { describe, expect, test } from "bun:test";
import { MatrixError } from "../../src/http/errors.ts";
import { getRoomVersion } from "../../src/matrix/room-versions.ts";
import { aliasesToValidate, canonicalAliasWithout, checkAliasesPointTo, splitCanonicalAlias } from "../../src/rooms/canonical-alias.ts";
import {
  compareEntries,
  decodeListToken,
  encodeListToken,
  isListed,
  pageOf,
  plainTextTopic,
  publicRoomEntry,
  type PublicRoomEntry,
} from "../../src/rooms/public-rooms.ts";
import { allowedRoomIds } from "../../src/rooms/restricted-join.ts";
import {
  creationPowerLevels,
  finalPowerLevels,
  levelNeededToCopy,
  mutedOldPowerLevels,
  normalisePowerLevels,
} from "../../src/rooms/upgrade-power-levels.ts";
import { directWithRoom } from "../../src/rooms/upgrade-user-data.ts";

const v11 = getRoomVersion("11")!;
const v12 = getRoomVersion("12")!;

function errcodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof MatrixError ? err.errcode : "not a MatrixError";
  }
  return undefined;
}

describe("canonical alias rules", () => {
  test("only new aliases are validated", () => {
    expect(aliasesToValidate({ alias: "#a:hs", alt_aliases: ["#b:hs", "#c:hs"] }, undefined)).toEqual(["#a:hs", "#b:hs", "#c:hs"]);
    expect(aliasesToValidate({ alias: "#a:hs", alt_aliases: ["#b:hs", "#c:hs"] }, { alias: "#a:hs", alt_aliases: ["#b:hs"] })).toEqual(["#c:hs"]);
    expect(aliasesToValidate({}, { alias: "#a:hs" })).toEqual([]);
    expect(aliasesToValidate({ alias: "" }, undefined)).toEqual([]);
    // A malformed previous alt_aliases is replaced wholesale.
    expect(aliasesToValidate({ alt_aliases: ["#b:hs"] }, { alt_aliases: "#b:hs" })).toEqual(["#b:hs"]);
    expect(errcodeOf(() => aliasesToValidate({ alias: 5 }, undefined))).toBe("M_INVALID_PARAM");
    expect(errcodeOf(() => aliasesToValidate({ alias: "nope" }, undefined))).toBe("M_INVALID_PARAM");
    expect(errcodeOf(() => aliasesToValidate({ alt_aliases: {} }, undefined))).toBe("M_INVALID_PARAM");
    expect(errcodeOf(() => aliasesToValidate({ alt_aliases: [null] }, undefined))).toBe("M_INVALID_PARAM");
  });

  test("aliases must resolve to the room", async () => {
    const resolve = async (a: string) => (a === "#here:hs" ? { roomId: "!r:hs" } : a === "#there:hs" ? { roomId: "!other:hs" } : null);
    await checkAliasesPointTo(["#here:hs"], "!r:hs", resolve);
    await expect(checkAliasesPointTo(["#here:hs", "#there:hs"], "!r:hs", resolve)).rejects.toMatchObject({ errcode: "M_BAD_ALIAS", status: 400 });
    await expect(checkAliasesPointTo(["#nowhere:hs"], "!r:hs", resolve)).rejects.toMatchObject({ errcode: "M_BAD_ALIAS" });
  });

  test("removing a deleted alias from the event", () => {
    expect(canonicalAliasWithout({ alias: "#a:hs", alt_aliases: ["#a:hs", "#b:hs"] }, "#a:hs")).toEqual({ alt_aliases: ["#b:hs"] });
    expect(canonicalAliasWithout({ alias: "#a:hs", alt_aliases: ["#b:hs"] }, "#b:hs")).toEqual({ alias: "#a:hs" });
    expect(canonicalAliasWithout({ alias: "#a:hs" }, "#b:hs")).toBeNull();
    expect(canonicalAliasWithout({ alias: "#a:hs", alt_aliases: "odd" }, "#a:hs")).toEqual({ alt_aliases: "odd" });
  });

  test("an upgrade moves local aliases and leaves remote ones", () => {
    const local = (a: string) => a.endsWith(":hs");
    expect(splitCanonicalAlias({ alias: "#a:hs", alt_aliases: ["#b:hs", "#c:far"] }, local)).toEqual({
      old: { alt_aliases: ["#c:far"] },
      new: { alias: "#a:hs", alt_aliases: ["#b:hs"] },
    });
    expect(splitCanonicalAlias({ alias: "#a:far", alt_aliases: ["#b:hs"] }, local)).toEqual({ old: { alias: "#a:far" }, new: { alt_aliases: ["#b:hs"] } });
    expect(splitCanonicalAlias({ alias: "#a:far" }, local)).toEqual({ old: { alias: "#a:far" }, new: {} });
  });
});

describe("public room list", () => {
  const entry = (roomId: string, members: number): PublicRoomEntry => ({
    room_id: roomId,
    num_joined_members: members,
    world_readable: false,
    guest_can_join: false,
    join_rule: "public",
  });
  const sorted = [entry("!e", 1), entry("!a", 9), entry("!c", 5), entry("!b", 5), entry("!d", 1)].sort(compareEntries);

  test("order: members descending, then room id descending", () => {
    expect(sorted.map((e) => e.room_id)).toEqual(["!a", "!c", "!b", "!e", "!d"]);
  });

  test("pages forwards and backwards with linked tokens", () => {
    const ids = (p: { chunk: PublicRoomEntry[] }) => p.chunk.map((e) => e.room_id);
    const p1 = pageOf(sorted, 2, undefined);
    expect(ids(p1)).toEqual(["!a", "!c"]);
    expect(p1.prev_batch).toBeUndefined();
    const p2 = pageOf(sorted, 2, decodeListToken(p1.next_batch!));
    expect(ids(p2)).toEqual(["!b", "!e"]);
    const p3 = pageOf(sorted, 2, decodeListToken(p2.next_batch!));
    expect(ids(p3)).toEqual(["!d"]);
    expect(p3.next_batch).toBeUndefined();
    const back = pageOf(sorted, 2, decodeListToken(p3.prev_batch!));
    expect(ids(back)).toEqual(["!b", "!e"]);
    const back2 = pageOf(sorted, 2, decodeListToken(back.prev_batch!));
    expect(ids(back2)).toEqual(["!a", "!c"]);
    expect(back2.prev_batch).toBeUndefined();
    expect(ids(pageOf(sorted, 2, decodeListToken(back2.next_batch!)))).toEqual(["!b", "!e"]);
    // A token naming a room that has since left the list still places the page.
    expect(ids(pageOf(sorted, 10, { joined: 5, roomId: "!bb", forwards: true }))).toEqual(["!b", "!e", "!d"]);
    expect(ids(pageOf(sorted, undefined, undefined))).toHaveLength(5);
  });

  test("tokens are opaque, and garbage is a 400", () => {
    const tok = { joined: 3, roomId: "!x:hs", forwards: false };
    expect(decodeListToken(encodeListToken(tok))).toEqual(tok);
    for (const bad of ["", "garbage", Buffer.from("[1,2,3]").toString("base64url"), Buffer.from('["f",1.5,"!x"]').toString("base64url")]) {
      expect(errcodeOf(() => decodeListToken(bad))).toBe("M_INVALID_PARAM");
    }
  });

  test("entries and listing rules", () => {
    const state = new Map<string, Record<string, unknown>>([
      ["m.room.name", { name: "N" }],
      ["m.room.topic", { topic: "plain", "m.topic": { "m.text": [{ mimetype: "text/html", body: "<b>rich</b>" }, { body: "from m.topic" }] } }],
      ["m.room.join_rules", { join_rule: "knock" }],
      ["m.room.avatar", { url: "" }],
    ]);
    const e = publicRoomEntry({ roomId: "!r", roomType: null, joinedMembers: 2, state });
    expect(e).toEqual({ room_id: "!r", num_joined_members: 2, world_readable: false, guest_can_join: false, name: "N", topic: "from m.topic", join_rule: "knock" });
    expect(isListed(e)).toBe(true);
    expect(isListed({ ...e, num_joined_members: 0 })).toBe(false);
    expect(isListed({ ...e, join_rule: "invite" })).toBe(false);
    expect(isListed({ ...e, join_rule: undefined, world_readable: true })).toBe(true);
    expect(plainTextTopic({ topic: "t" })).toBe("t");
    expect(plainTextTopic({ topic: "t", "m.topic": { "m.text": [{ mimetype: "text/html", body: "h" }] } })).toBe("t");
    expect(plainTextTopic({ topic: 5 })).toBeUndefined();
  });
});

describe("power levels across an upgrade", () => {
  test("normalising: integer strings become numbers; anything else is refused", () => {
    expect(normalisePowerLevels({ ban: "100", users: { "@a:hs": " 50 " }, events: { "m.room.name": "-5" }, notifications: { room: 20 } })).toEqual({
      ban: 100,
      users: { "@a:hs": 50 },
      events: { "m.room.name": -5 },
      notifications: { room: 20 },
    });
    expect(errcodeOf(() => normalisePowerLevels({ ban: "high" }))).toBe("M_UNKNOWN");
    expect(errcodeOf(() => normalisePowerLevels({ users: { "@a:hs": 1.5 } }))).toBe("M_UNKNOWN");
    expect(errcodeOf(() => normalisePowerLevels({ events: [1] }))).toBe("M_UNKNOWN");
  });

  test("the upgrader is raised to the highest level the copy needs, then restored", () => {
    const pl = { users: { "@admin:hs": 100 }, users_default: 0, state_default: 50, ban: 60, events: { "m.room.tombstone": 10, "m.room.power_levels": 100 } };
    expect(levelNeededToCopy(pl)).toBe(100);
    expect(levelNeededToCopy({})).toBe(50);
    expect(levelNeededToCopy({ state_default: "x", events: { a: 70 } })).toBe(70);
    const raised = creationPowerLevels(pl, "@mod:hs", v11, ["@mod:hs"]);
    expect(raised.users).toEqual({ "@admin:hs": 100, "@mod:hs": 100 });
    expect(pl.users).toEqual({ "@admin:hs": 100 });
    expect(creationPowerLevels(pl, "@admin:hs", v11, ["@admin:hs"])).toEqual(pl);
    // Creator power: creators leave the users map.
    expect(creationPowerLevels(pl, "@admin:hs", v12, ["@admin:hs"]).users).toEqual({});
    expect(finalPowerLevels(pl, v12, ["@admin:hs"]).users).toEqual({});
    expect(finalPowerLevels(pl, v11, ["@admin:hs"])).toEqual(pl);
    expect(creationPowerLevels({}, "@u:hs", v11, ["@u:hs"])).toEqual({ users: { "@u:hs": 50 } });
  });

  test("the old room is muted: invite and events_default reach max(users_default + 1, 50)", () => {
    expect(mutedOldPowerLevels({ users_default: 0, invite: 0, events_default: 0 })).toEqual({ users_default: 0, invite: 50, events_default: 50 });
    expect(mutedOldPowerLevels({ users_default: 60 })).toEqual({ users_default: 60, invite: 61, events_default: 61 });
    expect(mutedOldPowerLevels({ invite: 100, events_default: 50 })).toBeNull();
  });
});

describe("small rules", () => {
  test("m.direct gains the new room next to the old one", () => {
    expect(directWithRoom({ "@a:hs": ["!x", "!old"], "@b:hs": ["!old"] }, "!old", "!new")).toEqual({ "@a:hs": ["!x", "!old", "!new"], "@b:hs": ["!old"] });
    expect(directWithRoom({ "@a:hs": ["!old", "!new"] }, "!old", "!new")).toBeNull();
    expect(directWithRoom({ "@a:hs": "nope" }, "!old", "!new")).toBeNull();
  });

  test("restricted allow lists: only m.room_membership entries with a room id", () => {
    expect(allowedRoomIds({ allow: [{ type: "m.room_membership", room_id: "!a" }, { type: "other", room_id: "!b" }, { type: "m.room_membership" }, "x"] })).toEqual(["!a"]);
    expect(allowedRoomIds({ allow: "no" })).toEqual([]);
    expect(allowedRoomIds(undefined)).toEqual([]);
  });
});
