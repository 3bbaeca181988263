import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signJson, type SigningKey } from "../../src/matrix/signing.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createUser, crossSigningKey, crossSigningKeyPair, deviceKeysFor, type TestUser } from "./helpers.ts";

let t: TestHomeserver;

beforeAll(async () => {
  t = await startTestHomeserver();
});
afterAll(() => t.stop());

const post = (user: TestUser, path: string, body: unknown) => t.request("POST", `/_matrix/client/v3${path}`, { token: user.token, body });

interface Identity {
  user: TestUser;
  deviceKey: SigningKey;
  deviceKeys: Record<string, unknown>;
  master: SigningKey;
  selfSigning: SigningKey;
  userSigning: SigningKey;
  body: Record<string, unknown>;
}

async function identity(localpart: string): Promise<Identity> {
  const user = await createUser(t, localpart);
  const { key: deviceKey, deviceKeys } = deviceKeysFor(user);
  await post(user, "/keys/upload", { device_keys: deviceKeys });
  const master = crossSigningKeyPair();
  const selfSigning = crossSigningKeyPair();
  const userSigning = crossSigningKeyPair();
  const body = {
    master_key: crossSigningKey(user.userId, "master", master),
    self_signing_key: crossSigningKey(user.userId, "self_signing", selfSigning, master),
    user_signing_key: crossSigningKey(user.userId, "user_signing", userSigning, master),
  };
  return { user, deviceKey, deviceKeys, master, selfSigning, userSigning, body };
}

describe("POST /keys/device_signing/upload", () => {
  test("the first upload needs no UIA; the keys show in /keys/query, the user-signing key only to its owner", async () => {
    const a = await identity("alice");
    const res = await post(a.user, "/keys/device_signing/upload", a.body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});

    const own = await post(a.user, "/keys/query", { device_keys: { [a.user.userId]: [] } });
    expect(own.body.master_keys[a.user.userId]).toEqual(a.body.master_key);
    expect(own.body.self_signing_keys[a.user.userId]).toEqual(a.body.self_signing_key);
    expect(own.body.user_signing_keys[a.user.userId]).toEqual(a.body.user_signing_key);

    const other = await createUser(t, "observer");
    const seen = await post(other, "/keys/query", { device_keys: { [a.user.userId]: [] } });
    expect(seen.body.master_keys[a.user.userId]).toEqual(a.body.master_key);
    expect(seen.body.user_signing_keys[a.user.userId]).toBeUndefined();
  });

  test("uploading the same keys again is a no-op without UIA; replacing them needs UIA", async () => {
    const a = await identity("bob");
    expect((await post(a.user, "/keys/device_signing/upload", a.body)).status).toBe(200);
    expect((await post(a.user, "/keys/device_signing/upload", a.body)).status).toBe(200);

    const newMaster = crossSigningKeyPair();
    const replacement = {
      master_key: crossSigningKey(a.user.userId, "master", newMaster),
      self_signing_key: crossSigningKey(a.user.userId, "self_signing", crossSigningKeyPair(), newMaster),
    };
    const challenge = await post(a.user, "/keys/device_signing/upload", replacement);
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    expect(typeof challenge.body.session).toBe("string");
    // Nothing was replaced.
    expect((await t.hs.services.e2ee.stores.crossSigning.key(a.user.userId, "master"))?.key).toEqual(a.body.master_key as Record<string, unknown>);

    const wrong = await post(a.user, "/keys/device_signing/upload", {
      ...replacement,
      auth: { type: "m.login.password", session: challenge.body.session, identifier: { type: "m.id.user", user: a.user.userId }, password: "wrong" },
    });
    expect(wrong.status).toBe(401);

    const ok = await post(a.user, "/keys/device_signing/upload", {
      ...replacement,
      auth: { type: "m.login.password", session: challenge.body.session, identifier: { type: "m.id.user", user: a.user.userId }, password: a.user.password },
    });
    expect(ok.status).toBe(200);
    expect((await t.hs.services.e2ee.stores.crossSigning.key(a.user.userId, "master"))?.key).toEqual(replacement.master_key as Record<string, unknown>);
  });

  test("a reset approved by the auth service needs no UIA for its window", async () => {
    const a = await identity("reset");
    await post(a.user, "/keys/device_signing/upload", a.body);
    const clock = t.hs.services.clock;
    expect(await t.hs.services.e2ee.crossSigning.allowReset(a.user.userId, clock.now() + 600_000)).toBe(true);
    const m = crossSigningKeyPair();
    const res = await post(a.user, "/keys/device_signing/upload", { master_key: crossSigningKey(a.user.userId, "master", m) });
    expect(res.status).toBe(200);
    // The approval is used up by the replacement.
    const again = await post(a.user, "/keys/device_signing/upload", { master_key: crossSigningKey(a.user.userId, "master", crossSigningKeyPair()) });
    expect(again.status).toBe(401);
  });

  test("bad keys are refused with clear errors", async () => {
    const a = await identity("carol");
    const other = crossSigningKeyPair();
    const badSig = await post(a.user, "/keys/device_signing/upload", {
      master_key: a.body.master_key,
      self_signing_key: crossSigningKey(a.user.userId, "self_signing", crossSigningKeyPair(), other),
    });
    expect(badSig.status).toBe(400);
    expect(badSig.body.errcode).toBe("M_INVALID_SIGNATURE");

    const noMaster = await post(a.user, "/keys/device_signing/upload", { self_signing_key: a.body.self_signing_key });
    expect(noMaster.status).toBe(400);
    expect(noMaster.body.errcode).toBe("M_MISSING_PARAM");

    const wrongUsage = await post(a.user, "/keys/device_signing/upload", { master_key: crossSigningKey(a.user.userId, "self_signing", a.master) });
    expect(wrongUsage.status).toBe(400);
    expect(wrongUsage.body.errcode).toBe("M_INVALID_PARAM");

    const wrongUser = await post(a.user, "/keys/device_signing/upload", { master_key: crossSigningKey("@someone:test.local", "master", a.master) });
    expect(wrongUser.status).toBe(400);
    expect(wrongUser.body.errcode).toBe("M_INVALID_PARAM");

    const twoKeys = { ...(a.body.master_key as object), keys: { [a.master.keyId]: "x", [other.keyId]: "y" } };
    expect((await post(a.user, "/keys/device_signing/upload", { master_key: twoKeys })).body.errcode).toBe("M_INVALID_PARAM");
    expect(await t.hs.services.e2ee.stores.crossSigning.key(a.user.userId, "master")).toBeUndefined();
  });
});

describe("POST /keys/signatures/upload", () => {
  test("a device signed by the self-signing key, and the master key signed by the device, show in /keys/query", async () => {
    const a = await identity("dave");
    await post(a.user, "/keys/device_signing/upload", a.body);
    const signedDevice = signJson(a.deviceKeys, a.user.userId, a.selfSigning);
    const signedMaster = signJson(a.body.master_key as object, a.user.userId, a.deviceKey);
    const res = await post(a.user, "/keys/signatures/upload", {
      [a.user.userId]: { [a.user.deviceId]: signedDevice, [a.master.keyId.slice(8)]: signedMaster },
    });
    expect(res.status).toBe(200);
    expect(res.body.failures).toEqual({});

    const q = await post(a.user, "/keys/query", { device_keys: { [a.user.userId]: [] } });
    const sigs = q.body.device_keys[a.user.userId][a.user.deviceId].signatures[a.user.userId];
    expect(sigs[a.selfSigning.keyId]).toBe((signedDevice.signatures as any)[a.user.userId][a.selfSigning.keyId]);
    expect(sigs[`ed25519:${a.user.deviceId}`]).toBeDefined();
    expect(q.body.master_keys[a.user.userId].signatures[a.user.userId][`ed25519:${a.user.deviceId}`]).toBeDefined();
  });

  test("invalid signatures and unknown keys are reported per key", async () => {
    const a = await identity("erin");
    await post(a.user, "/keys/device_signing/upload", a.body);
    const forged = signJson(a.deviceKeys, a.user.userId, { ...crossSigningKeyPair(), keyId: a.selfSigning.keyId });
    const altered = signJson({ ...a.deviceKeys, algorithms: ["evil"] }, a.user.userId, a.selfSigning);
    const res = await post(a.user, "/keys/signatures/upload", {
      [a.user.userId]: { [a.user.deviceId]: forged, NOSUCH: signJson({ ...a.deviceKeys, device_id: "NOSUCH" }, a.user.userId, a.selfSigning) },
    });
    expect(res.status).toBe(200);
    expect(res.body.failures[a.user.userId][a.user.deviceId].errcode).toBe("M_INVALID_SIGNATURE");
    expect(res.body.failures[a.user.userId].NOSUCH.errcode).toBe("M_NOT_FOUND");
    const res2 = await post(a.user, "/keys/signatures/upload", { [a.user.userId]: { [a.user.deviceId]: altered } });
    expect(res2.body.failures[a.user.userId][a.user.deviceId].error).toBe("Key does not match");
  });

  test("another user's master key signed with the user-signing key is seen by the signer only", async () => {
    const a = await identity("frank");
    const b = await identity("grace");
    await post(a.user, "/keys/device_signing/upload", a.body);
    await post(b.user, "/keys/device_signing/upload", b.body);
    const signed = signJson(b.body.master_key as object, a.user.userId, a.userSigning);
    const res = await post(a.user, "/keys/signatures/upload", { [b.user.userId]: { [b.master.keyId.slice(8)]: signed } });
    expect(res.body.failures).toEqual({});

    const bySigner = await post(a.user, "/keys/query", { device_keys: { [b.user.userId]: [] } });
    expect(bySigner.body.master_keys[b.user.userId].signatures[a.user.userId][a.userSigning.keyId]).toBeDefined();
    const byOwner = await post(b.user, "/keys/query", { device_keys: { [b.user.userId]: [] } });
    expect(byOwner.body.master_keys[b.user.userId]).toEqual(b.body.master_key);

    // Signing anything but the master key of another user fails.
    const wrong = await post(a.user, "/keys/signatures/upload", { [b.user.userId]: { [b.user.deviceId]: signJson(b.deviceKeys, a.user.userId, a.userSigning) } });
    expect(wrong.body.failures[b.user.userId][b.user.deviceId].errcode).toBe("M_NOT_FOUND");
  });

  test("without cross-signing keys every signature fails", async () => {
    const a = await identity("henry");
    const res = await post(a.user, "/keys/signatures/upload", { [a.user.userId]: { [a.user.deviceId]: a.deviceKeys } });
    expect(res.body.failures[a.user.userId][a.user.deviceId].errcode).toBe("M_NOT_FOUND");
  });
});
