import { afterEach, describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { RELAXED_LIMITS, settle } from "../accounts/helpers.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver, txn } from "./helpers.ts";

let t: TestHomeserver | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** A homeserver with Synapse's default limits for rooms (the room test helpers relax them). */
async function start(config: Record<string, unknown> = {}) {
  const clock = new FakeClock("test.local", Date.now());
  t = await startRoomsHomeserver({
    clock,
    config: {
      ...RELAXED_LIMITS,
      rc_message: { per_second: 0.2, burst_count: 10 },
      rc_room_creation: { per_second: 0.016, burst_count: 10 },
      rc_joins: { local: { per_second: 0.1, burst_count: 10 }, remote: { per_second: 0.01, burst_count: 10 } },
      rc_joins_per_room: { per_second: 1, burst_count: 10 },
      rc_invites: { per_room: { per_second: 0.3, burst_count: 10 }, per_user: { per_second: 0.003, burst_count: 5 }, per_issuer: { per_second: 0.3, burst_count: 10 } },
      ...config,
    },
  });
  return { t, clock };
}

describe("rate limits", () => {
  test("rc_room_creation: ten rooms, then 429 with retry_after_ms 62500", async () => {
    // rc_message would stop the 11th first (each creation spends one); lift it here.
    const { t, clock } = await start({ rc_message: { per_second: 1000, burst_count: 1000 } });
    const [alice] = await registerUsers(t, "alice");
    const a = clientFor(t, alice!);
    for (let i = 0; i < 10; i++) expect((await a("POST", "/createRoom", {})).status).toBe(200);
    const { result } = await settle(clock, () => a("POST", "/createRoom", {}));
    expect(result.status).toBe(429);
    expect(result.body).toEqual({ errcode: "M_LIMIT_EXCEEDED", error: "Too Many Requests", retry_after_ms: 62500 });
    expect(result.headers.get("retry-after")).toBe("63");
    // Tokens are spent before validation: an invalid request is still limited.
    const bad = await settle(clock, () => a("POST", "/createRoom", { room_version: "nope" }));
    expect(bad.result.status).toBe(429);
    await clock.advance(62_500);
    expect((await a("POST", "/createRoom", {})).status).toBe(200);
  });

  test("a refusal by rc_message does not spend a room-creation token", async () => {
    const { t, clock } = await start({ rc_message: { per_second: 0.2, burst_count: 1 } });
    const [alice] = await registerUsers(t, "alice");
    const a = clientFor(t, alice!);
    expect((await a("POST", "/createRoom", {})).status).toBe(200);
    const { result } = await settle(clock, () => a("POST", "/createRoom", {}));
    expect(result.status).toBe(429);
    expect(result.body.retry_after_ms).toBeLessThan(5001);
    expect(t.hs.services.ratelimiters.roomCreation.canDoAction({ requester: alice!.userId, update: false, nActions: 9 }).allowed).toBe(true);
  });

  test("rc_message limits sends: burst 10, then 429", async () => {
    const { t, clock } = await start();
    const [alice] = await registerUsers(t, "alice");
    // Room creation spends an rc_message token; exempt the creation by creating the room directly.
    const requester = { userId: alice!.userId, deviceId: alice!.deviceId, isGuest: false, isAdmin: false, tokenId: "" };
    const { roomId } = await t.hs.services.rooms.createRoom(requester, {});
    const a = clientFor(t, alice!);
    for (let i = 0; i < 10; i++) expect((await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "x" })).status).toBe(200);
    const { result } = await settle(clock, () => a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "x" }));
    expect(result.status).toBe(429);
    expect(result.body.retry_after_ms).toBe(5000);
  });

  test("a retry of a sent transaction gets its event back while rc_message refuses new sends", async () => {
    const { t, clock } = await start({ rc_message: { per_second: 0.2, burst_count: 2 } });
    const [alice] = await registerUsers(t, "alice");
    const requester = { userId: alice!.userId, deviceId: alice!.deviceId, isGuest: false, isAdmin: false, tokenId: "" };
    const { roomId } = await t.hs.services.rooms.createRoom(requester, {});
    const a = clientFor(t, alice!);
    const path = `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`;
    const first = await a("PUT", path, { body: "first" });
    expect((await a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "second" })).status).toBe(200);
    const fresh = await settle(clock, () => a("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "third" }));
    expect(fresh.result.status).toBe(429);
    const retry = await settle(clock, () => a("PUT", path, { body: "first, again" }));
    expect(retry.result.status).toBe(200);
    expect(retry.result.body.event_id).toBe(first.body.event_id);
  });

  test("rc_joins.local counts new joins only; rc_invites limits invites per room", async () => {
    const { t, clock } = await start({
      rc_joins: { local: { per_second: 0.1, burst_count: 2 }, remote: { per_second: 0.01, burst_count: 10 } },
      rc_invites: { per_room: { per_second: 0.3, burst_count: 2 }, per_user: { per_second: 0.003, burst_count: 5 }, per_issuer: { per_second: 0.3, burst_count: 10 } },
    });
    const [alice, bob, carol, dave] = await registerUsers(t, "alice", "bob", "carol", "dave");
    const requester = { userId: alice!.userId, deviceId: alice!.deviceId, isGuest: false, isAdmin: false, tokenId: "" };
    const rooms = t.hs.services.rooms;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await rooms.createRoom(requester, { preset: "public_chat" })).roomId);
    const b = clientFor(t, bob!);
    expect((await b("POST", `/rooms/${enc(ids[0]!)}/join`, {})).status).toBe(200);
    expect((await b("POST", `/rooms/${enc(ids[1]!)}/join`, {})).status).toBe(200);
    // Re-joining a room one is in is not a new join.
    expect((await b("POST", `/rooms/${enc(ids[0]!)}/join`, {})).status).toBe(200);
    const third = await settle(clock, () => b("POST", `/rooms/${enc(ids[2]!)}/join`, {}));
    expect(third.result.status).toBe(429);

    const a = clientFor(t, alice!);
    expect((await a("POST", `/rooms/${enc(ids[2]!)}/invite`, { user_id: bob!.userId })).status).toBe(200);
    expect((await a("POST", `/rooms/${enc(ids[2]!)}/invite`, { user_id: carol!.userId })).status).toBe(200);
    const limited = await settle(clock, () => a("POST", `/rooms/${enc(ids[2]!)}/invite`, { user_id: dave!.userId }));
    expect(limited.result.status).toBe(429);
  });
});
