// The e2ee sections of a real GET /sync: to_device, device_lists, one-time key counts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { addDevice, createUser, deviceKeysFor, signedOneTimeKey, type TestUser } from "./helpers.ts";
import { TO_DEVICE_SYNC_LIMIT } from "../../src/e2ee/to-device.ts";
import { parseSyncToken } from "../../src/sync/token.ts";

let t: TestHomeserver;
let alice: TestUser;
let bob: TestUser;

const sync = async (user: TestUser, since?: string, timeout = 0) => {
  const q = new URLSearchParams({ timeout: String(timeout) });
  if (since) q.set("since", since);
  const res = await t.request("GET", `/_matrix/client/v3/sync?${q}`, { token: user.token });
  expect(res.status).toBe(200);
  return res.body;
};
const send = (from: TestUser, to: TestUser, txnId: string, content: Record<string, unknown>) =>
  t.request("PUT", `/_matrix/client/v3/sendToDevice/m.test/${txnId}`, { token: from.token, body: { messages: { [to.userId]: { [to.deviceId]: content } } } });

beforeAll(async () => {
  t = await startTestHomeserver();
  alice = await createUser(t, "alice");
  bob = await createUser(t, "bob");
});
afterAll(() => t.stop());

describe("to_device in /sync", () => {
  test("delivered, redelivered when the response was lost, gone once acknowledged", async () => {
    const first = await sync(bob);
    expect(first.to_device).toEqual({ events: [] });
    expect(first.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(first.device_unused_fallback_key_types).toEqual([]);

    await send(alice, bob, "a1", { n: 1 });
    const got = await sync(bob, first.next_batch);
    expect(got.to_device.events).toEqual([{ type: "m.test", sender: alice.userId, content: { n: 1 } }]);
    // The response is lost: the client asks again from the same token.
    const again = await sync(bob, first.next_batch);
    expect(again.to_device.events).toEqual(got.to_device.events);
    const after = await sync(bob, again.next_batch);
    expect(after.to_device?.events ?? []).toEqual([]);
  });

  test("a long-poll returns when a message arrives", async () => {
    const start = await sync(bob);
    const polling = sync(bob, start.next_batch, 20_000);
    await Bun.sleep(50);
    await send(alice, bob, "wake", { wake: true });
    const res = await polling;
    expect(res.to_device.events.map((e: { content: unknown }) => e.content)).toEqual([{ wake: true }]);
  });

  test("more than one response's worth: next_batch stops at the last message delivered", async () => {
    const start = await sync(bob);
    const total = TO_DEVICE_SYNC_LIMIT + 5;
    for (let i = 0; i < total; i++) await send(alice, bob, `many${i}`, { i });
    const r1 = await sync(bob, start.next_batch);
    expect(r1.to_device.events).toHaveLength(TO_DEVICE_SYNC_LIMIT);
    const r2 = await sync(bob, r1.next_batch);
    expect(r2.to_device.events.map((e: { content: { i: number } }) => e.content.i)).toEqual([100, 101, 102, 103, 104]);
    expect(parseSyncToken(r2.next_batch).to_device).toBeGreaterThan(parseSyncToken(r1.next_batch).to_device);
  });

  test("one-time key counts and fallback key types follow uploads and claims", async () => {
    const { key } = deviceKeysFor(bob);
    await t.request("POST", "/_matrix/client/v3/keys/upload", {
      token: bob.token,
      body: {
        one_time_keys: { "signed_curve25519:A": signedOneTimeKey(bob.userId, key), "signed_curve25519:B": signedOneTimeKey(bob.userId, key) },
        fallback_keys: { "signed_curve25519:F": signedOneTimeKey(bob.userId, key, { fallback: true }) },
      },
    });
    const s = await sync(bob);
    expect(s.device_one_time_keys_count).toEqual({ signed_curve25519: 2 });
    expect(s.device_unused_fallback_key_types).toEqual(["signed_curve25519"]);
  });
});

describe("device_lists in /sync", () => {
  test("a room member's new keys wake the long-poll and show as changed", async () => {
    const room = await t.request("POST", "/_matrix/client/v3/createRoom", { token: alice.token, body: { preset: "public_chat" } });
    const roomId = room.body.room_id as string;
    expect((await t.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, { token: bob.token, body: {} })).status).toBe(200);
    const start = await sync(alice);
    let polling = sync(alice, start.next_batch, 20_000);
    await Bun.sleep(50);
    const bobPhone = await addDevice(t, bob.userId, "BOBPHONE");
    await t.request("POST", "/_matrix/client/v3/keys/upload", { token: bobPhone.token, body: { device_keys: deviceKeysFor(bobPhone).deviceKeys } });
    // Other news (presence, the join) may end a poll first; the change must come in one
    // that returns before its timeout.
    for (let i = 0; i < 5; i++) {
      const res = await polling;
      if (res.device_lists?.changed?.includes(bob.userId)) return;
      polling = sync(alice, res.next_batch, 20_000);
    }
    throw new Error("bob's device change never reached alice's /sync");
  });
});
