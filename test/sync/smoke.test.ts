import { test, expect } from "bun:test";
import { startSyncHomeserver, registerUsers, clientFor, createRoom, join, send, sync } from "./helpers.ts";

test("smoke", async () => {
  const t = await startSyncHomeserver();
  try {
    const [alice, bob] = await registerUsers(t, "alice", "bob");
    const a = clientFor(t, alice!);
    const b = clientFor(t, bob!);
    const roomId = await createRoom(a, { name: "Test", invite: [bob!.userId] });
    const s0 = await sync(b);
    console.log(JSON.stringify(s0, null, 1).slice(0, 3000));
    await join(b, roomId);
    await send(a, roomId, "hi");
    const s1 = await sync(b, { since: s0.next_batch });
    console.log(JSON.stringify(s1, null, 1).slice(0, 6000));
    const p = sync(b, { since: s1.next_batch, timeout: 5000 });
    await Bun.sleep(50);
    const t0 = performance.now();
    await send(a, roomId, "second");
    const s2 = await p;
    console.log("woke in", performance.now() - t0, JSON.stringify(s2.rooms?.join?.[roomId]?.timeline));
    expect(s2.rooms.join[roomId].timeline.events.length).toBe(1);
  } finally {
    await t.stop();
  }
});
