import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { addDevice, createUser, deviceKeysFor, type TestUser } from "./helpers.ts";
import { formatSyncToken, emptyToken } from "../../src/sync/token.ts";

let t: TestHomeserver;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let roomId: string;

const req = (user: TestUser, method: string, path: string, body?: unknown) =>
  t.request(method, `/_matrix/client/v3${path}`, { token: user.token, body: body ?? (method === "POST" ? {} : undefined) });

/** The current positions a /sync would cover up to. */
async function now() {
  const s = t.hs.services;
  await s.rooms.flush();
  return { ...(await s.e2ee.positions()), events: s.sync.streams.current().events };
}

async function deviceLists(user: TestUser, since: Awaited<ReturnType<typeof now>>) {
  const r = await t.hs.services.e2ee.sync({ userId: user.userId, deviceId: user.deviceId, since, upTo: await now() });
  return r.fields.device_lists!;
}

const uploadKeys = (user: TestUser) => req(user, "POST", "/keys/upload", { device_keys: deviceKeysFor(user).deviceKeys });

beforeAll(async () => {
  t = await startTestHomeserver();
  alice = await createUser(t, "alice");
  bob = await createUser(t, "bob");
  carol = await createUser(t, "carol");
  const created = await req(alice, "POST", "/createRoom", { preset: "public_chat" });
  expect(created.status).toBe(200);
  roomId = created.body.room_id;
  expect((await req(bob, "POST", `/rooms/${encodeURIComponent(roomId)}/join`)).status).toBe(200);
});
afterAll(() => t.stop());

describe("device_lists in /sync", () => {
  test("a user sharing a room who uploads keys is changed; a stranger is not", async () => {
    const since = await now();
    await uploadKeys(bob);
    await uploadKeys(carol);
    const lists = await deviceLists(alice, since);
    expect(lists.changed).toEqual([bob.userId]);
    expect(lists.left).toEqual([]);
    // Nothing new since then.
    expect((await deviceLists(alice, await now())).changed).toEqual([]);
  });

  test("uploading the same device keys again is not a change", async () => {
    const dev = await addDevice(t, bob.userId, "BOBSAME");
    const keys = deviceKeysFor(dev).deviceKeys;
    await req(dev, "POST", "/keys/upload", { device_keys: keys });
    const since = await now();
    await req(dev, "POST", "/keys/upload", { device_keys: keys });
    expect((await deviceLists(alice, since)).changed).toEqual([]);
  });

  test("the user's own new device is a change", async () => {
    const since = await now();
    const second = await addDevice(t, alice.userId, "ALICE2");
    await uploadKeys(second);
    expect((await deviceLists(alice, since)).changed).toEqual([alice.userId]);
  });

  test("sharing starts when someone joins: changed; ends when they leave: left", async () => {
    const beforeJoin = await now();
    expect((await req(carol, "POST", `/rooms/${encodeURIComponent(roomId)}/join`)).status).toBe(200);
    expect((await deviceLists(alice, beforeJoin)).changed).toContain(carol.userId);
    // Carol sees everyone in the room she joined.
    const forCarol = await deviceLists(carol, beforeJoin);
    expect(forCarol.changed).toEqual(expect.arrayContaining([alice.userId, bob.userId]));

    const beforeLeave = await now();
    expect((await req(carol, "POST", `/rooms/${encodeURIComponent(roomId)}/leave`)).status).toBe(200);
    const lists = await deviceLists(alice, beforeLeave);
    expect(lists.left).toEqual([carol.userId]);
    expect(lists.changed).not.toContain(carol.userId);
    const carolLists = await deviceLists(carol, beforeLeave);
    expect(carolLists.left).toEqual([alice.userId, bob.userId].sort());
  });

  test("deleting a device is a change for those sharing a room", async () => {
    const tmp = await addDevice(t, bob.userId, "BOBGONE");
    await uploadKeys(tmp);
    const since = await now();
    await t.hs.services.accounts.devices.delete(bob.userId, ["BOBGONE"]);
    expect((await deviceLists(alice, since)).changed).toEqual([bob.userId]);
  });

  test("a signature on another user's key is only news to the signer", async () => {
    const since = await now();
    await t.hs.services.e2ee.deviceLists.changed(bob.userId, { onlyVisibleTo: [carol.userId] });
    expect((await deviceLists(alice, since)).changed).toEqual([]);
    expect((await deviceLists(carol, since)).changed).toEqual([bob.userId]);
  });

  test("GET /keys/changes reports the same between two tokens", async () => {
    const from = await now();
    await uploadKeys(await addDevice(t, bob.userId, "BOBNEW"));
    const to = await now();
    const token = (p: Awaited<ReturnType<typeof now>>) => formatSyncToken({ ...emptyToken(), events: p.events, device_lists: p.deviceLists, to_device: p.toDevice });
    const res = await req(alice, "GET", `/keys/changes?from=${token(from)}&to=${token(to)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ changed: [bob.userId], left: [] });
    const empty = await req(alice, "GET", `/keys/changes?from=${token(to)}&to=${token(to)}`);
    expect(empty.body).toEqual({ changed: [], left: [] });
    expect((await req(alice, "GET", "/keys/changes?from=garbage")).status).toBe(400);
    expect((await req(alice, "GET", "/keys/changes")).body.errcode).toBe("M_MISSING_PARAM");
  });

  test("an initial sync has no device_lists; a device-less token gets no to-device or counts", async () => {
    const r = await t.hs.services.e2ee.sync({ userId: alice.userId, deviceId: null, since: null, upTo: await now() });
    expect(r.fields).toEqual({});
  });
});
