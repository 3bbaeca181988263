import { describe, expect, test } from "bun:test";
import { authFailure, authStateFromAuthEvents, selectAuthEvents } from "../../src/matrix/auth-rules.ts";
import { authEventIds, stateKey, type StoredEvent } from "../../src/matrix/events.ts";
import { ALICE, BOB, CAROL, DAVE, MOD, populatedRoom, type TestRoom } from "./room-fixture.ts";

const id = (r: TestRoom, type: string, key: string) => r.state.get(stateKey(type, key))!.eventId;

describe("auth events selection", () => {
  test("a message cites create, power levels and the sender's membership", () => {
    const r = populatedRoom("11");
    expect(selectAuthEvents("m.room.message", undefined, BOB, {}, r.state, r.rv)).toEqual([
      id(r, "m.room.create", ""),
      id(r, "m.room.power_levels", ""),
      id(r, "m.room.member", BOB),
    ]);
  });

  test("v12 never cites the create event", () => {
    const r = populatedRoom("12");
    const ids = selectAuthEvents("m.room.message", undefined, BOB, {}, r.state, r.rv);
    expect(ids).toEqual([id(r, "m.room.power_levels", ""), id(r, "m.room.member", BOB)]);
    // and the builder drops it even if the caller lists it
    const ev = r.event(BOB, "m.room.message", undefined, { body: "x" }, { authEvents: [r.createEvent().eventId, ...ids] });
    expect(authEventIds(ev.pdu)).toEqual(ids);
  });

  test("a join cites the target's membership and the join rules, not missing entries", () => {
    const r = populatedRoom("10");
    expect(selectAuthEvents("m.room.member", DAVE, DAVE, { membership: "join" }, r.state, r.rv)).toEqual([
      id(r, "m.room.create", ""),
      id(r, "m.room.power_levels", ""),
      id(r, "m.room.join_rules", ""),
    ]);
  });

  test("a leave does not cite the join rules", () => {
    const r = populatedRoom("10");
    expect(selectAuthEvents("m.room.member", BOB, MOD, { membership: "leave" }, r.state, r.rv)).toEqual([
      id(r, "m.room.create", ""),
      id(r, "m.room.power_levels", ""),
      id(r, "m.room.member", MOD),
      id(r, "m.room.member", BOB),
    ]);
  });

  test("a third-party invite cites the m.room.third_party_invite for its token", () => {
    const r = populatedRoom("10");
    r.send(BOB, "m.room.third_party_invite", "tok", { public_key: "AAAA" });
    const content = { membership: "invite", third_party_invite: { signed: { token: "tok", mxid: DAVE } } };
    expect(selectAuthEvents("m.room.member", DAVE, BOB, content, r.state, r.rv)).toContain(
      id(r, "m.room.third_party_invite", "tok"),
    );
  });

  test("a restricted join cites the authorising user's membership only where restricted rooms exist", () => {
    for (const [v, cited] of [["7", false], ["8", true], ["12", true]] as const) {
      const r = populatedRoom(v);
      const ids = selectAuthEvents("m.room.member", DAVE, DAVE, { membership: "join", join_authorised_via_users_server: BOB }, r.state, r.rv);
      expect(ids.includes(id(r, "m.room.member", BOB))).toBe(cited);
    }
  });

  test("the create event cites nothing", () => {
    const r = populatedRoom("10");
    expect(selectAuthEvents("m.room.create", "", ALICE, {}, r.state, r.rv)).toEqual([]);
  });
});

describe("checking an event's own auth events", () => {
  function fetched(r: TestRoom, ev: StoredEvent): StoredEvent[] {
    const all = [...r.state.values()];
    return authEventIds(ev.pdu).map((i) => all.find((e) => e.eventId === i)!);
  }

  for (const v of ["6", "11", "12"]) {
    test(`v${v}: correct auth events give the state to authorise against`, () => {
      const r = populatedRoom(v);
      const ev = r.event(BOB, "m.room.message", undefined, { body: "x" });
      const state = authStateFromAuthEvents(ev.pdu, fetched(r, ev), r.rv, { createEvent: r.createEvent() });
      expect(state.get(stateKey("m.room.create", ""))?.eventId).toBe(r.createEvent().eventId);
      expect(authFailure(ev.pdu, state, r.rv)).toBeNull();
    });

    test(`v${v}: unexpected, duplicate, rejected and foreign auth events are refused`, () => {
      const r = populatedRoom(v);
      const opts = { createEvent: r.createEvent() };
      const joinRules = id(r, "m.room.join_rules", "");
      const unexpected = r.event(BOB, "m.room.message", undefined, {}, {
        authEvents: [...selectAuthEvents("m.room.message", undefined, BOB, {}, r.state, r.rv), joinRules],
      });
      expect(() => authStateFromAuthEvents(unexpected.pdu, fetched(r, unexpected), r.rv, opts)).toThrow("unexpected");

      const oldBobJoin = r.state.get(stateKey("m.room.member", BOB))!;
      r.setMember(BOB, BOB, "join", { displayname: "Bob" });
      const dup = r.event(BOB, "m.room.message", undefined, {}, {
        authEvents: [...selectAuthEvents("m.room.message", undefined, BOB, {}, r.state, r.rv), oldBobJoin.eventId],
      });
      const dupAuth = [...fetched(r, dup).filter(Boolean), oldBobJoin];
      expect(() => authStateFromAuthEvents(dup.pdu, dupAuth, r.rv, opts)).toThrow("duplicate");

      const ok = r.event(BOB, "m.room.message", undefined, {});
      const rejected = id(r, "m.room.power_levels", "");
      expect(() =>
        authStateFromAuthEvents(ok.pdu, fetched(r, ok), r.rv, { ...opts, isRejected: (e) => e === rejected }),
      ).toThrow("rejected");

      const foreign = fetched(r, ok).map((e) => ({ eventId: e.eventId, pdu: { ...e.pdu, room_id: "!elsewhere:hs9" } }));
      expect(() => authStateFromAuthEvents(ok.pdu, foreign, r.rv, opts)).toThrow("another room");

      expect(() => authStateFromAuthEvents(ok.pdu, [], r.rv, opts)).toThrow("unknown");
    });
  }

  test("pre-v12: auth events without the create event are refused", () => {
    const r = populatedRoom("11");
    const ids = selectAuthEvents("m.room.message", undefined, BOB, {}, r.state, r.rv).filter((i) => i !== r.createEvent().eventId);
    const ev = r.event(BOB, "m.room.message", undefined, {}, { authEvents: ids });
    expect(() => authStateFromAuthEvents(ev.pdu, fetched(r, ev), r.rv)).toThrow("m.room.create");
  });

  test("v12: citing the create event is refused, and the create event must match the room id", () => {
    const r = populatedRoom("12");
    const good = r.event(CAROL, "m.room.member", CAROL, { membership: "join" });
    const withCreate = { eventId: good.eventId, pdu: { ...good.pdu, auth_events: [r.createEvent().eventId, ...good.pdu.auth_events] } };
    expect(() =>
      authStateFromAuthEvents(withCreate.pdu, [r.createEvent(), ...fetched(r, good)], r.rv, { createEvent: r.createEvent() }),
    ).toThrow("unexpected");
    expect(() => authStateFromAuthEvents(good.pdu, fetched(r, good), r.rv)).toThrow("m.room.create");
    // (same content and timestamp would give the same id: reference hashes ignore signatures)
    const other = populatedRoom("12", { createContent: { "m.federate": true } }).createEvent();
    expect(other.eventId).not.toBe(r.createEvent().eventId);
    expect(() => authStateFromAuthEvents(good.pdu, fetched(r, good), r.rv, { createEvent: other })).toThrow("m.room.create");
    expect(() =>
      authStateFromAuthEvents(good.pdu, fetched(r, good), r.rv, { createEvent: r.createEvent(), isRejected: (e) => e === r.createEvent().eventId }),
    ).toThrow("rejected");
  });
});
