import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { addDevice, createUser, deviceKeysFor, signedOneTimeKey, type TestUser } from "./helpers.ts";

let t: TestHomeserver;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await startTestHomeserver();
  alice = await createUser(t, "alice");
  bob = await createUser(t, "bob");
});
afterAll(() => t.stop());

const post = (user: TestUser, path: string, body: unknown) => t.request("POST", `/_matrix/client/v3${path}`, { token: user.token, body });

describe("POST /keys/upload", () => {
  test("stores device keys and reports one-time key counts, signed_curve25519 always included", async () => {
    const { key, deviceKeys } = deviceKeysFor(alice);
    const empty = await post(alice, "/keys/upload", { device_keys: deviceKeys });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ one_time_key_counts: { signed_curve25519: 0 } });

    const otks = {
      "signed_curve25519:AAAAAQ": signedOneTimeKey(alice.userId, key),
      "signed_curve25519:AAAAAg": signedOneTimeKey(alice.userId, key),
      "curve25519:AAAAAw": "c2ltcGxlIGtleQ",
    };
    const res = await post(alice, "/keys/upload", { one_time_keys: otks });
    expect(res.body).toEqual({ one_time_key_counts: { signed_curve25519: 2, curve25519: 1 } });

    // A retry of the same keys changes nothing; new signatures on the same key are fine too.
    const again = await post(alice, "/keys/upload", { one_time_keys: otks });
    expect(again.body.one_time_key_counts.signed_curve25519).toBe(2);
  });

  test("a one-time key id re-used for a different key is refused", async () => {
    const { key } = deviceKeysFor(alice);
    const res = await post(alice, "/keys/upload", { one_time_keys: { "signed_curve25519:AAAAAQ": signedOneTimeKey(alice.userId, key) } });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("signed_curve25519:AAAAAQ");
  });

  test("device_keys for another user or device are refused", async () => {
    const other = deviceKeysFor({ userId: bob.userId, deviceId: alice.deviceId }).deviceKeys;
    const wrongUser = await post(alice, "/keys/upload", { device_keys: other });
    expect(wrongUser.status).toBe(400);
    expect(wrongUser.body.errcode).toBe("M_BAD_JSON");
    const wrongDevice = await post(alice, "/keys/upload", { device_keys: deviceKeysFor({ userId: alice.userId, deviceId: "OTHER" }).deviceKeys });
    expect(wrongDevice.status).toBe(400);
  });

  test("malformed bodies are refused with the field named", async () => {
    const res = await post(alice, "/keys/upload", { device_keys: { user_id: alice.userId } });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_MISSING_PARAM");
    expect(res.body.error).toContain("device_keys");
    const badId = await post(alice, "/keys/upload", { one_time_keys: { nocolon: "abc" } });
    expect(badId.status).toBe(400);
    expect(badId.body.errcode).toBe("M_BAD_JSON");
  });
});

describe("POST /keys/query", () => {
  test("returns device keys as uploaded with the display name in unsigned", async () => {
    const { deviceKeys } = deviceKeysFor(bob);
    await post(bob, "/keys/upload", { device_keys: deviceKeys });
    const res = await post(alice, "/keys/query", { device_keys: { [bob.userId]: [] } });
    expect(res.status).toBe(200);
    const got = res.body.device_keys[bob.userId][bob.deviceId];
    expect(got.keys).toEqual(deviceKeys.keys);
    expect(got.signatures).toEqual(deviceKeys.signatures);
    expect(got.unsigned).toEqual({ device_display_name: `${bob.deviceId} display` });
  });

  test("a specific device list filters; unknown users answer an empty map; remote users are failures", async () => {
    const res = await post(alice, "/keys/query", {
      device_keys: { [bob.userId]: ["NOPE"], "@ghost:test.local": [], "@carol:elsewhere.example": [] },
    });
    expect(res.body.device_keys[bob.userId]).toEqual({});
    expect(res.body.device_keys["@ghost:test.local"]).toEqual({});
    expect(res.body.failures["elsewhere.example"]).toBeDefined();
  });

  test("keys of a deleted device disappear", async () => {
    const dev = await addDevice(t, bob.userId, "BOBTEMP");
    await post(dev, "/keys/upload", { device_keys: deviceKeysFor(dev).deviceKeys });
    let res = await post(alice, "/keys/query", { device_keys: { [bob.userId]: [] } });
    expect(Object.keys(res.body.device_keys[bob.userId]).sort()).toEqual([bob.deviceId, "BOBTEMP"].sort());
    await t.hs.services.accounts.devices.delete(bob.userId, ["BOBTEMP"]);
    res = await post(alice, "/keys/query", { device_keys: { [bob.userId]: [] } });
    expect(Object.keys(res.body.device_keys[bob.userId])).toEqual([bob.deviceId]);
    expect(await t.hs.services.e2ee.stores.deviceKeys.deviceKeys(bob.userId, "BOBTEMP")).toBeUndefined();
  });
});

describe("POST /keys/claim", () => {
  test("hands out one-time keys oldest first, then the fallback key, which stays", async () => {
    const carol = await createUser(t, "carol");
    const { key, deviceKeys } = deviceKeysFor(carol);
    const first = signedOneTimeKey(carol.userId, key);
    await post(carol, "/keys/upload", { device_keys: deviceKeys, one_time_keys: { "signed_curve25519:K1": first } });
    await post(carol, "/keys/upload", { one_time_keys: { "signed_curve25519:K2": signedOneTimeKey(carol.userId, key) } });
    const fallback = signedOneTimeKey(carol.userId, key, { fallback: true });
    await post(carol, "/keys/upload", { fallback_keys: { "signed_curve25519:FB": fallback } });

    const claim = () => post(alice, "/keys/claim", { one_time_keys: { [carol.userId]: { [carol.deviceId]: "signed_curve25519" } } });
    const c1 = await claim();
    expect(c1.body.one_time_keys[carol.userId][carol.deviceId]).toEqual({ "signed_curve25519:K1": first });
    expect(Object.keys((await claim()).body.one_time_keys[carol.userId][carol.deviceId])).toEqual(["signed_curve25519:K2"]);

    const sync = await t.hs.services.e2ee.sync({
      userId: carol.userId,
      deviceId: carol.deviceId,
      since: null,
      upTo: { toDevice: 0, deviceLists: 0, events: 0 },
    });
    expect(sync.fields.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(sync.fields.device_unused_fallback_key_types).toEqual(["signed_curve25519"]);

    const c3 = await claim();
    expect(c3.body.one_time_keys[carol.userId][carol.deviceId]).toEqual({ "signed_curve25519:FB": fallback });
    const c4 = await claim();
    expect(c4.body.one_time_keys[carol.userId][carol.deviceId]).toEqual({ "signed_curve25519:FB": fallback });
    expect(await t.hs.services.e2ee.keys.unusedFallbackKeyTypes(carol.userId, carol.deviceId)).toEqual([]);

    // Re-uploading the same fallback key keeps it marked used; a new one is unused again.
    await post(carol, "/keys/upload", { fallback_keys: { "signed_curve25519:FB": fallback } });
    expect(await t.hs.services.e2ee.keys.unusedFallbackKeyTypes(carol.userId, carol.deviceId)).toEqual([]);
    await post(carol, "/keys/upload", { fallback_keys: { "signed_curve25519:FB2": signedOneTimeKey(carol.userId, key, { fallback: true }) } });
    expect(await t.hs.services.e2ee.keys.unusedFallbackKeyTypes(carol.userId, carol.deviceId)).toEqual(["signed_curve25519"]);
  });

  test("a device without keys is left out of the answer", async () => {
    const res = await post(alice, "/keys/claim", { one_time_keys: { [bob.userId]: { NOPE: "signed_curve25519" } } });
    expect(res.status).toBe(200);
    expect(res.body.one_time_keys).toEqual({});
  });

  test("concurrent claims never hand out the same one-time key", async () => {
    const dave = await createUser(t, "dave");
    const { key } = deviceKeysFor(dave);
    const otks: Record<string, unknown> = {};
    for (let i = 0; i < 30; i++) otks[`signed_curve25519:K${String(i).padStart(3, "0")}`] = signedOneTimeKey(dave.userId, key);
    await post(dave, "/keys/upload", { one_time_keys: otks });

    const claims = await Promise.all(
      Array.from({ length: 40 }, () => post(alice, "/keys/claim", { one_time_keys: { [dave.userId]: { [dave.deviceId]: "signed_curve25519" } } })),
    );
    const handedOut = claims.flatMap((c) => Object.keys(c.body.one_time_keys[dave.userId]?.[dave.deviceId] ?? {}));
    expect(claims.every((c) => c.status === 200)).toBe(true);
    expect(handedOut.length).toBe(30);
    expect(new Set(handedOut).size).toBe(30);
    expect((await t.hs.services.e2ee.keys.oneTimeKeyCounts(dave.userId, dave.deviceId)).signed_curve25519).toBe(0);
  });
});
