import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { addDevice, createUser, type TestUser } from "./helpers.ts";
import { TO_DEVICE_SYNC_LIMIT } from "../../src/e2ee/to-device.ts";
import { FakeClock } from "../../src/observability/clock.ts";

let t: TestHomeserver;
let alice: TestUser;
let bob: TestUser;
let bob2: TestUser;

beforeAll(async () => {
  t = await startTestHomeserver();
  alice = await createUser(t, "alice");
  bob = await createUser(t, "bob");
  bob2 = await addDevice(t, bob.userId, "BOBPHONE");
});
afterAll(() => t.stop());

const send = (user: TestUser, type: string, txnId: string, messages: unknown) =>
  t.request("PUT", `/_matrix/client/v3/sendToDevice/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`, { token: user.token, body: { messages } });

/** The e2ee part of a /sync for the device, as the sync engine asks for it. */
async function syncToDevice(user: TestUser, since: number | null) {
  const e2ee = t.hs.services.e2ee;
  const upTo = await e2ee.positions();
  const r = await e2ee.sync({
    userId: user.userId,
    deviceId: user.deviceId,
    since: since === null ? null : { toDevice: since, deviceLists: upTo.deviceLists, events: 0 },
    upTo: { ...upTo, events: 0 },
  });
  return { events: r.fields.to_device!.events, next: r.positions.toDevice };
}

describe("send-to-device", () => {
  test("a message reaches the named device with type and sender", async () => {
    const res = await send(alice, "m.test", "txn1", { [bob.userId]: { [bob.deviceId]: { hello: "world" } } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const got = await syncToDevice(bob, null);
    expect(got.events).toEqual([{ type: "m.test", sender: alice.userId, content: { hello: "world" } }]);
    expect((await syncToDevice(bob2, null)).events).toEqual([]);
    // Acknowledge for the following tests.
    await syncToDevice(bob, got.next);
  });

  test("a repeated transaction id sends nothing again", async () => {
    await send(alice, "m.test", "dup", { [bob.userId]: { [bob.deviceId]: { n: 1 } } });
    await send(alice, "m.test", "dup", { [bob.userId]: { [bob.deviceId]: { n: 2 } } });
    const got = await syncToDevice(bob, null);
    expect(got.events.map((e) => (e.content as { n: number }).n)).toEqual([1]);
    await syncToDevice(bob, got.next);
  });

  test("`*` reaches every device of the user; unknown devices are skipped", async () => {
    await send(alice, "m.star", "star", { [bob.userId]: { "*": { all: true }, NOSUCHDEVICE: { x: 1 } } });
    const a = await syncToDevice(bob, null);
    const b = await syncToDevice(bob2, null);
    expect(a.events).toEqual([{ type: "m.star", sender: alice.userId, content: { all: true } }]);
    expect(b.events).toEqual([{ type: "m.star", sender: alice.userId, content: { all: true } }]);
    await syncToDevice(bob, a.next);
    await syncToDevice(bob2, b.next);
  });

  test("messages stay until the client acknowledges them with its next since", async () => {
    const before = (await syncToDevice(bob, null)).next;
    await send(alice, "m.test", "lost", { [bob.userId]: { [bob.deviceId]: { important: 1 } } });
    // The response carrying the message is lost: the client syncs again from `before`.
    const lost = await syncToDevice(bob, before);
    expect(lost.events).toHaveLength(1);
    const retry = await syncToDevice(bob, before);
    expect(retry.events).toEqual(lost.events);
    // Now it acknowledges the position it got: the message is gone.
    const after = await syncToDevice(bob, retry.next);
    expect(after.events).toEqual([]);
    expect(await t.hs.services.e2ee.stores.toDevice.pending(bob.userId, bob.deviceId, 0, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  test("more than a sync's worth arrives over several syncs, in order", async () => {
    const start = await syncToDevice(bob2, null);
    expect(start.events).toEqual([]);
    for (let i = 0; i < TO_DEVICE_SYNC_LIMIT + 20; i++) {
      await send(alice, "m.seq", `seq${i}`, { [bob2.userId]: { [bob2.deviceId]: { i } } });
    }
    const first = await syncToDevice(bob2, start.next);
    expect(first.events).toHaveLength(TO_DEVICE_SYNC_LIMIT);
    const second = await syncToDevice(bob2, first.next);
    expect(second.events).toHaveLength(20);
    const order = [...first.events, ...second.events].map((e) => (e.content as { i: number }).i);
    expect(order).toEqual(Array.from({ length: TO_DEVICE_SYNC_LIMIT + 20 }, (_, i) => i));
  });

  test("a too large message is refused with 413", async () => {
    const res = await send(alice, "m.big", "big", { [bob.userId]: { [bob.deviceId]: { blob: "x".repeat(70_000) } } });
    expect(res.status).toBe(413);
    expect(res.body.errcode).toBe("M_TOO_LARGE");
  });

  test("a missing messages field is a 400", async () => {
    const res = await t.request("PUT", "/_matrix/client/v3/sendToDevice/m.x/bad", { token: alice.token, body: {} });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_MISSING_PARAM");
  });

  test("deleting a device drops its inbox", async () => {
    const tmp = await addDevice(t, bob.userId, "BOBTMP");
    await send(alice, "m.test", "tmp", { [bob.userId]: { BOBTMP: { x: 1 } } });
    expect((await syncToDevice(tmp, null)).events).toHaveLength(1);
    await t.hs.services.accounts.devices.delete(bob.userId, ["BOBTMP"]);
    expect(await t.hs.services.e2ee.stores.toDevice.pending(bob.userId, "BOBTMP", 0, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });
});

describe("send transaction ids", () => {
  test("are forgotten after a day, by the hourly clean-up", async () => {
    const clock = new FakeClock("test.local");
    const s = await startTestHomeserver({ clock });
    try {
      const a = await createUser(s, "alice");
      const b = await createUser(s, "bob");
      const put = (n: number) =>
        s.request("PUT", "/_matrix/client/v3/sendToDevice/m.test/same", { token: a.token, body: { messages: { [b.userId]: { [b.deviceId]: { n } } } } });
      const inbox = () => s.hs.services.e2ee.stores.toDevice.pending(b.userId, b.deviceId, 0, Number.MAX_SAFE_INTEGER, 10);
      await put(1);
      await clock.advance(23 * 60 * 60 * 1000);
      await put(2);
      expect((await inbox()).map((m) => (m.message.content as { n: number }).n)).toEqual([1]);
      // The clean-up runs in the background, on real database time: keep the hours
      // coming until it has removed the old id.
      const { db, tables } = s.hs.services.database;
      await clock.advance(2 * 60 * 60 * 1000);
      for (let i = 0; i < 50 && (await db.select().from(tables.e2eToDeviceTxns)).length > 0; i++) {
        await Bun.sleep(20);
        await clock.advance(60 * 60 * 1000);
      }
      await put(3);
      expect((await inbox()).map((m) => (m.message.content as { n: number }).n)).toEqual([1, 3]);
    } finally {
      await s.stop();
    }
  });
});
