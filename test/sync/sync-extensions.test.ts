// Sections other modules add to /sync (E2EE's to-device and key counts) read alongside the
// rooms section: on PostgreSQL their round trips overlap it instead of following it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { freshUsers, startSyncHomeserver, sync } from "./helpers.ts";

let t: TestHomeserver;
beforeAll(async () => {
  t = await startSyncHomeserver();
});
afterAll(() => t.stop());

test("an extension that does not ask for the rooms runs before the rooms section has read them; one that asks gets them", async () => {
  const [alice] = await freshUsers(t, "ext_alice");
  const roomId = (await alice!.c("POST", "/createRoom", {})).body.room_id as string;

  let eagerStarted!: () => void;
  const eager = new Promise<void>((resolve) => (eagerStarted = resolve));
  t.hs.services.sync.registerExtension({
    name: "eager",
    async contribute() {
      eagerStarted();
      return { fields: { "org.example.eager": true }, hasNews: false };
    },
  });
  let seenRooms: readonly string[] | undefined;
  t.hs.services.sync.registerExtension({
    name: "needs-rooms",
    async contribute(ctx) {
      seenRooms = (await ctx.rooms()).joinedRoomIds;
      return { fields: { "org.example.rooms": seenRooms.length }, hasNews: false };
    },
  });

  // The rooms section's first read is held until the eager extension has started.
  const store = t.hs.services.rooms.stores.rooms;
  const original = store.roomsForUser.bind(store);
  let held = 0;
  store.roomsForUser = (async (...args: Parameters<typeof original>) => {
    held++;
    await eager;
    return original(...args);
  }) as typeof store.roomsForUser;
  try {
    const body = await sync(alice!.c);
    expect(held).toBeGreaterThan(0);
    expect(body["org.example.eager"]).toBe(true);
    expect(body["org.example.rooms"]).toBe(1);
    expect(seenRooms).toEqual([roomId]);
    expect(body.rooms.join[roomId]).toBeDefined();
  } finally {
    store.roomsForUser = original;
  }
});
