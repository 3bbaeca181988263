// Room upgrades count as room creations (rc_room_creation, behaviour spec §3.6), and the
// token is spent before the request is checked.
import { afterEach, expect, test } from "bun:test";
import { FakeClock } from "../../src/observability/clock.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { RELAXED_LIMITS, settle } from "../accounts/helpers.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver } from "./helpers.ts";

let t: TestHomeserver | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** Synapse's default rc_room_creation; rc_message lifted (every creation spends one of its tokens too). */
async function start() {
  const clock = new FakeClock("test.local", Date.now());
  t = await startRoomsHomeserver({
    clock,
    config: { ...RELAXED_LIMITS, rc_message: { per_second: 1000, burst_count: 1000 }, rc_room_creation: { per_second: 0.016, burst_count: 10 } },
  });
  return { t, clock };
}

test("after ten room creations an upgrade is 429 with retry_after_ms 62500", async () => {
  const { t, clock } = await start();
  const [alice] = await registerUsers(t, "alice");
  const a = clientFor(t, alice!);
  const rooms: string[] = [];
  for (let i = 0; i < 10; i++) {
    const res = await a("POST", "/createRoom", {});
    expect(res.status).toBe(200);
    rooms.push(res.body.room_id);
  }
  const { result } = await settle(clock, () => a("POST", `/rooms/${enc(rooms[0]!)}/upgrade`, { new_version: "12" }));
  expect(result.status).toBe(429);
  expect(result.body).toEqual({ errcode: "M_LIMIT_EXCEEDED", error: "Too Many Requests", retry_after_ms: 62500 });
  expect((await a("GET", `/rooms/${enc(rooms[0]!)}/state/m.room.tombstone/`)).status).toBe(404);
  await clock.advance(62_500);
  const ok = await a("POST", `/rooms/${enc(rooms[0]!)}/upgrade`, { new_version: "12" });
  expect(ok.status).toBe(200);
});

test("upgrades spend room-creation tokens even when refused", async () => {
  const { t, clock } = await start();
  const [alice, bob] = await registerUsers(t, "alice", "bob");
  const requester = { userId: alice!.userId, deviceId: alice!.deviceId, isGuest: false, isAdmin: false, tokenId: "" };
  const { roomId } = await t.hs.services.rooms.createRoom(requester, { preset: "public_chat" });
  const b = clientFor(t, bob!);
  // Bob may not upgrade (403), an unknown room is 404, a bad version 400: each still costs a token.
  for (let i = 0; i < 4; i++) expect((await b("POST", `/rooms/${enc(roomId)}/upgrade`, { new_version: "12" })).status).toBe(403);
  for (let i = 0; i < 3; i++) expect((await b("POST", `/rooms/${enc("!nope:test.local")}/upgrade`, { new_version: "12" })).status).toBe(404);
  for (let i = 0; i < 3; i++) expect((await b("POST", `/rooms/${enc(roomId)}/upgrade`, { new_version: "0" })).status).toBe(400);
  const { result } = await settle(clock, () => b("POST", "/createRoom", {}));
  expect(result.status).toBe(429);
  expect(result.body.errcode).toBe("M_LIMIT_EXCEEDED");
});
