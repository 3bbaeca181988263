import { generateSigningKey, publicKeyBase64, signJson, type SigningKey } from "../../src/matrix/signing.ts";
import { hashPassword } from "../../src/accounts/passwords.ts";
import type { TestHomeserver } from "../support/homeserver.ts";

export interface TestUser {
  userId: string;
  deviceId: string;
  token: string;
  password: string;
}

/** Creates a user with a password and one logged-in device, straight through the services. */
export async function createUser(t: TestHomeserver, localpart: string, deviceId = `${localpart.toUpperCase()}DEV`): Promise<TestUser> {
  const s = t.hs.services;
  const userId = `@${localpart}:${s.serverName}`;
  const password = `pw-${localpart}`;
  await s.stores.users.create({ userId, passwordHash: await hashPassword(password), createdTs: s.clock.now() });
  return { ...(await addDevice(t, userId, deviceId)), password };
}

/** Another logged-in device of an existing user. */
export async function addDevice(t: TestHomeserver, userId: string, deviceId: string): Promise<TestUser> {
  const s = t.hs.services;
  await s.stores.devices.upsert(userId, deviceId, `${deviceId} display`, s.clock.now());
  const token = await s.accessTokens.issue(userId, deviceId);
  return { userId, deviceId, token, password: "" };
}

/** An ed25519 device key whose key id is `ed25519:<deviceId>`, and its signed device_keys. */
export function deviceKeysFor(user: { userId: string; deviceId: string }): { key: SigningKey; deviceKeys: Record<string, unknown> } {
  const key = generateSigningKey(user.deviceId);
  const unsigned = {
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
    keys: { [`curve25519:${user.deviceId}`]: publicKeyBase64(generateSigningKey()), [`ed25519:${user.deviceId}`]: publicKeyBase64(key) },
  };
  return { key, deviceKeys: signJson(unsigned, user.userId, key) };
}

/** An ed25519 key whose key id is `ed25519:<its public key>`, as cross-signing keys are named. */
export function crossSigningKeyPair(): SigningKey {
  const k = generateSigningKey("cs");
  return { ...k, keyId: `ed25519:${publicKeyBase64(k)}` };
}

export function crossSigningKey(userId: string, usage: string, key: SigningKey, signer?: SigningKey): Record<string, unknown> {
  const obj = { user_id: userId, usage: [usage], keys: { [key.keyId]: publicKeyBase64(key) } };
  return signer ? signJson(obj, userId, signer) : obj;
}

/** A signed curve25519 one-time key object. */
export function signedOneTimeKey(userId: string, deviceKey: SigningKey, opts: { fallback?: boolean } = {}): Record<string, unknown> {
  const obj: Record<string, unknown> = { key: publicKeyBase64(generateSigningKey()) };
  if (opts.fallback) obj.fallback = true;
  return signJson(obj, userId, deviceKey);
}
