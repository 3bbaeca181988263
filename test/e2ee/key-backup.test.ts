import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createUser, deviceKeysFor, type TestUser } from "./helpers.ts";

let t: TestHomeserver;
let alice: TestUser;

beforeAll(async () => {
  t = await startTestHomeserver();
  alice = await createUser(t, "alice");
});
afterAll(() => t.stop());

const ALG = "m.megolm_backup.v1.curve25519-aes-sha2";
const req = (method: string, path: string, body?: unknown, user: TestUser = alice) =>
  t.request(method, `/_matrix/client/v3/room_keys${path}`, { token: user.token, body });

const key = (fmi: number, fwd: number, verified: boolean, tag: string) => ({
  first_message_index: fmi,
  forwarded_count: fwd,
  is_verified: verified,
  session_data: { ephemeral: "e", ciphertext: tag, mac: "m" },
});

describe("backup versions", () => {
  test("no backup yet is a 404", async () => {
    const res = await req("GET", "/version");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errcode: "M_NOT_FOUND", error: "No current backup version" });
  });

  test("create, read, update and delete a version", async () => {
    const created = await req("POST", "/version", { algorithm: ALG, auth_data: { public_key: "abc" } });
    expect(created.status).toBe(200);
    const version = created.body.version as string;
    expect(typeof version).toBe("string");

    const current = await req("GET", "/version");
    expect(current.body).toEqual({ algorithm: ALG, auth_data: { public_key: "abc" }, version, etag: "0", count: 0 });
    expect((await req("GET", `/version/${version}`)).body.version).toBe(version);

    expect((await req("PUT", `/version/${version}`, { algorithm: ALG, auth_data: { public_key: "def" } })).status).toBe(200);
    expect((await req("GET", "/version")).body.auth_data).toEqual({ public_key: "def" });

    const wrongAlg = await req("PUT", `/version/${version}`, { algorithm: "other", auth_data: {} });
    expect(wrongAlg.status).toBe(400);
    expect(wrongAlg.body.errcode).toBe("M_INVALID_PARAM");
    const wrongVersion = await req("PUT", `/version/${version}`, { algorithm: ALG, auth_data: {}, version: "999" });
    expect(wrongVersion.status).toBe(400);

    const newer = (await req("POST", "/version", { algorithm: ALG, auth_data: { public_key: "ghi" } })).body.version;
    expect(Number(newer)).toBeGreaterThan(Number(version));
    expect((await req("GET", "/version")).body.version).toBe(newer);

    expect((await req("DELETE", `/version/${newer}`)).status).toBe(200);
    expect((await req("DELETE", `/version/${newer}`)).status).toBe(200);
    expect((await req("GET", `/version/${newer}`)).status).toBe(404);
    expect((await req("GET", "/version")).body.version).toBe(version);
    expect((await req("DELETE", "/version/12345")).status).toBe(404);
    expect((await req("GET", "/version/not-a-number")).status).toBe(404);
  });

  test("versions are private to their user", async () => {
    const bob = await createUser(t, "bob");
    expect((await req("GET", "/version", undefined, bob)).status).toBe(404);
  });
});

describe("backup keys", () => {
  test("store, replace by the spec's rules, read, count, etag, delete", async () => {
    const version = (await req("POST", "/version", { algorithm: ALG, auth_data: { public_key: "k" } })).body.version;
    const q = `?version=${version}`;
    const r1 = await req("PUT", `/keys${q}`, { rooms: { "!a:test.local": { sessions: { s1: key(5, 1, false, "first"), s2: key(0, 0, true, "s2") } } } });
    expect(r1.status).toBe(200);
    expect(r1.body.count).toBe(2);
    const etag1 = r1.body.etag;

    // Worse on every count: ignored.
    await req("PUT", `/keys/!a:test.local/s2${q}`, key(0, 0, false, "unverified"));
    // A lower first_message_index beats the stored unverified key.
    await req("PUT", `/keys/!a:test.local/s1${q}`, key(3, 9, false, "lower-index"));
    // Same index, fewer forwards wins.
    await req("PUT", `/keys/!a:test.local/s1${q}`, key(3, 2, false, "fewer-forwards"));
    // Verified beats unverified even with a worse index.
    const r2 = await req("PUT", `/keys/!a:test.local${q}`, { sessions: { s1: key(50, 50, false, "worse"), s3: key(1, 0, false, "s3") } });
    expect(r2.body.count).toBe(3);
    expect(r2.body.etag).not.toBe(etag1);

    const s1 = await req("GET", `/keys/!a:test.local/s1${q}`);
    expect(s1.body.session_data.ciphertext).toBe("fewer-forwards");
    expect((await req("GET", `/keys/!a:test.local/s2${q}`)).body.session_data.ciphertext).toBe("s2");

    await req("PUT", `/keys/!a:test.local/s1${q}`, key(60, 60, true, "verified"));
    expect((await req("GET", `/keys/!a:test.local/s1${q}`)).body.session_data.ciphertext).toBe("verified");

    // An upload that changes nothing keeps the etag.
    const before = (await req("GET", "/version")).body.etag;
    const same = await req("PUT", `/keys/!a:test.local/s3${q}`, key(1, 0, false, "s3"));
    expect(same.body.etag).toBe(before);

    const all = await req("GET", `/keys${q}`);
    expect(Object.keys(all.body.rooms["!a:test.local"].sessions).sort()).toEqual(["s1", "s2", "s3"]);
    expect((await req("GET", `/keys/!empty:test.local${q}`)).body).toEqual({ sessions: {} });
    const missing = await req("GET", `/keys/!a:test.local/nope${q}`);
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe("M_NOT_FOUND");

    const info = await req("GET", `/version/${version}`);
    expect(info.body.count).toBe(3);

    const d1 = await req("DELETE", `/keys/!a:test.local/s3${q}`);
    expect(d1.body.count).toBe(2);
    const d2 = await req("DELETE", `/keys${q}`);
    expect(d2.body.count).toBe(0);
    expect((await req("GET", `/keys${q}`)).body).toEqual({ rooms: {} });
  });

  test("writing to an old version is 403 M_WRONG_ROOM_KEYS_VERSION with the current one", async () => {
    const old = (await req("POST", "/version", { algorithm: ALG, auth_data: {} })).body.version;
    const current = (await req("POST", "/version", { algorithm: ALG, auth_data: {} })).body.version;
    const res = await req("PUT", `/keys/!a:test.local/s1?version=${old}`, key(0, 0, false, "x"));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ errcode: "M_WRONG_ROOM_KEYS_VERSION", current_version: current });
    expect((await req("PUT", `/keys/!a:test.local/s1?version=99999`, key(0, 0, false, "x"))).status).toBe(404);
  });

  test("version is a required query parameter and key data is validated", async () => {
    const noVersion = await req("GET", "/keys");
    expect(noVersion.status).toBe(400);
    expect(noVersion.body.errcode).toBe("M_MISSING_PARAM");
    const version = (await req("GET", "/version")).body.version;
    const bad = await req("PUT", `/keys/!a:test.local/s1?version=${version}`, { first_message_index: -1, forwarded_count: 0, is_verified: false, session_data: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe("M_INVALID_PARAM");
  });

  test("deleting a version deletes its keys", async () => {
    const version = (await req("POST", "/version", { algorithm: ALG, auth_data: {} })).body.version;
    await req("PUT", `/keys/!r:test.local/s?version=${version}`, key(0, 0, false, "x"));
    await req("DELETE", `/version/${version}`);
    expect(await t.hs.services.e2ee.stores.keyBackup.countKeys(alice.userId, Number(version))).toBe(0);
    expect((await req("GET", `/keys?version=${version}`)).status).toBe(404);
  });
});

describe("deactivation", () => {
  test("deletes the user's backups and device keys", async () => {
    const carol = await createUser(t, "carol");
    const version = (await req("POST", "/version", { algorithm: ALG, auth_data: {} }, carol)).body.version;
    await req("PUT", `/keys/!r:test.local/s?version=${version}`, key(0, 0, false, "x"), carol);
    await t.request("POST", "/_matrix/client/v3/keys/upload", { token: carol.token, body: { device_keys: deviceKeysFor(carol).deviceKeys } });
    await t.hs.services.accounts.management.deactivate(carol.userId, { erase: false, byAdmin: true });
    const e2ee = t.hs.services.e2ee;
    expect(await e2ee.stores.keyBackup.currentVersion(carol.userId)).toBeUndefined();
    expect(await e2ee.stores.keyBackup.countKeys(carol.userId, Number(version))).toBe(0);
    expect(await e2ee.stores.deviceKeys.deviceKeys(carol.userId, carol.deviceId)).toBeUndefined();
  });
});
