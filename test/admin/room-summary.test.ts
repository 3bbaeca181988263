import { describe, expect, test } from "bun:test";
import { filterAndSortRooms, matchesSearch, roomDetailsFromState, roomListEntry, type RoomFacts } from "../../src/admin/room-summary.ts";

function facts(roomId: string, state: Record<string, Record<string, unknown>>, extra: Partial<RoomFacts> = {}): RoomFacts {
  return {
    roomId,
    roomVersion: "10",
    creator: "@c:hs",
    isPublic: false,
    roomType: null,
    state: new Map(Object.entries(state)),
    joinedMembers: 1,
    joinedLocalMembers: 1,
    stateEvents: 5,
    ...extra,
  };
}

describe("room summary", () => {
  test("fields come from current state; federatable unless m.federate is false", () => {
    const e = roomListEntry(
      facts("!a:hs", {
        "m.room.name": { name: "Name" },
        "m.room.canonical_alias": { alias: "#a:hs" },
        "m.room.encryption": { algorithm: "m.megolm.v1.aes-sha2" },
        "m.room.create": { "m.federate": false, type: "m.space" },
        "m.room.join_rules": { join_rule: "knock" },
      }),
    );
    expect(e).toMatchObject({ name: "Name", canonical_alias: "#a:hs", encryption: "m.megolm.v1.aes-sha2", federatable: false, join_rules: "knock", room_type: "m.space", history_visibility: null });
    expect(roomListEntry(facts("!b:hs", { "m.room.name": { name: 5 } })).name).toBeNull();
    expect(roomDetailsFromState(facts("!c:hs", { "m.room.tombstone": { replacement_room: "!d:hs" } }))).toMatchObject({ tombstoned: true, replacement_room: "!d:hs" });
  });

  test("search: name substring (any case), alias localpart only, exact room id", () => {
    const e = roomListEntry(facts("!abc:hs", { "m.room.name": { name: "Matrix HQ" }, "m.room.canonical_alias": { alias: "#matrix:example.org" } }));
    expect(matchesSearch(e, "hq")).toBe(true);
    expect(matchesSearch(e, "atri")).toBe(true);
    expect(matchesSearch(e, "example")).toBe(false);
    expect(matchesSearch(e, "!abc:hs")).toBe(true);
    expect(matchesSearch(e, "!ab")).toBe(false);
  });

  test("orders: names ascending with nulls first, sizes largest first, dir=b reverses, ties by room id", () => {
    const rooms = [
      roomListEntry(facts("!1:hs", { "m.room.name": { name: "b" } }, { joinedMembers: 5 })),
      roomListEntry(facts("!2:hs", {}, { joinedMembers: 9 })),
      roomListEntry(facts("!3:hs", { "m.room.name": { name: "a" } }, { joinedMembers: 5 })),
    ];
    const ids = (q: Parameters<typeof filterAndSortRooms>[1]) => filterAndSortRooms(rooms, q).map((r) => r.room_id);
    expect(ids({ orderBy: "name", dir: "f" })).toEqual(["!2:hs", "!3:hs", "!1:hs"]);
    expect(ids({ orderBy: "name", dir: "b" })).toEqual(["!1:hs", "!3:hs", "!2:hs"]);
    expect(ids({ orderBy: "joined_members", dir: "f" })).toEqual(["!2:hs", "!3:hs", "!1:hs"]);
    expect(ids({ orderBy: "size", dir: "b" })).toEqual(["!1:hs", "!3:hs", "!2:hs"]);
    expect(ids({ orderBy: "name", dir: "f", emptyRooms: true })).toEqual([]);
  });
});
