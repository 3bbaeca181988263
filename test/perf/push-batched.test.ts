// Push outcomes are computed before the commit and written with the events. Sends that
// arrive together share a commit: the counts must still be what the events, in stream
// order, give each member.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, createRoom, enc, join, registerUsers, startSyncHomeserver, sync, txn, type Client } from "../sync/helpers.ts";

let t: TestHomeserver;
beforeAll(async () => {
  t = await startSyncHomeserver();
});
afterAll(() => t.stop());

interface Member {
  userId: string;
  c: Client;
}

async function sendMessage(c: Client, roomId: string, body: string, extra: Record<string, unknown> = {}) {
  const r = await c("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body, ...extra });
  expect(r.status).toBe(200);
}

/** The room's timeline in stream order, as /messages gives it. */
async function timeline(c: Client, roomId: string): Promise<any[]> {
  const r = await c("GET", `/rooms/${enc(roomId)}/messages?dir=f&limit=1000`);
  expect(r.status).toBe(200);
  return r.body.chunk;
}

describe("push outcomes of events committed together", () => {
  test("counts follow stream order across a batch with joins, mentions and a power change", async () => {
    const [alice, bob, carol, dave] = (await registerUsers(t, "pb_alice", "pb_bob", "pb_carol", "pb_dave")).map(
      (a): Member => ({ userId: a.userId, c: clientFor(t, a) }),
    );
    const roomId = await createRoom(alice!.c, { preset: "public_chat" });
    await join(bob!.c, roomId);
    await join(carol!.c, roomId);
    const mentionCarol = { "m.mentions": { user_ids: [carol!.userId] } };
    const powerLevels = (await alice!.c("GET", `/rooms/${enc(roomId)}/state/m.room.power_levels/`)).body;

    // Everything at once: the writer commits whatever arrived together in one transaction.
    let commits = 0;
    const stop = t.hs.services.database.stats.addListener((name) => void (name === "persist_events" && commits++));
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => sendMessage(alice!.c, roomId, `alice ${i}`)),
      ...Array.from({ length: 8 }, (_, i) => sendMessage(bob!.c, roomId, `bob ${i}`, i % 3 === 0 ? mentionCarol : {})),
      join(dave!.c, roomId),
      ...Array.from({ length: 4 }, (_, i) => sendMessage(carol!.c, roomId, `carol ${i}`)),
      alice!.c("PUT", `/rooms/${enc(roomId)}/state/m.room.power_levels/`, {
        ...powerLevels,
        notifications: { room: 0 },
      }),
      sendMessage(bob!.c, roomId, "@room wake up", { "m.mentions": { room: true } }),
    ]);
    stop();
    // 23 events: some commits must have held several.
    expect(commits).toBeLessThan(23);

    // Expected counts from the timeline: every message by someone else after the member joined.
    const events = await timeline(alice!.c, roomId);
    const joinedAt = new Map<string, number>();
    events.forEach((e, i) => {
      if (e.type === "m.room.member" && e.content.membership === "join" && !joinedAt.has(e.state_key)) joinedAt.set(e.state_key, i);
    });
    let roomNotificationsAllowed = false;
    const expected = new Map<string, { notification_count: number; highlight_count: number }>();
    for (const m of [alice!, bob!, carol!, dave!]) expected.set(m.userId, { notification_count: 0, highlight_count: 0 });
    events.forEach((e, i) => {
      if (e.type === "m.room.power_levels") roomNotificationsAllowed = e.content.notifications?.room === 0;
      if (e.type !== "m.room.message") return;
      for (const m of [alice!, bob!, carol!, dave!]) {
        if (e.sender === m.userId || i < joinedAt.get(m.userId)!) continue;
        const counts = expected.get(m.userId)!;
        counts.notification_count++;
        const mentioned = e.content["m.mentions"]?.user_ids?.includes(m.userId);
        // @room needs the sender's level to reach notifications.room (50 until lowered to 0).
        const roomMention = e.content["m.mentions"]?.room === true && roomNotificationsAllowed;
        if (mentioned || roomMention) counts.highlight_count++;
      }
    });
    // The table must hold both outcomes, or it proves nothing about ordering.
    expect(expected.get(carol!.userId)!.highlight_count).toBeGreaterThan(0);

    for (const m of [alice!, bob!, carol!, dave!]) {
      const body = await sync(m.c);
      expect({ user: m.userId, counts: body.rooms.join[roomId].unread_notifications }).toEqual({
        user: m.userId,
        counts: expected.get(m.userId),
      });
    }
  });
});
