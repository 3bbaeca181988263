// matrix-js-sdk clients living on /sync: what Element Web does, minus the UI.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as sdk from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger";
import type { TestHomeserver } from "../support/homeserver.ts";
import { SdkClients } from "../support/sdk.ts";
import { registerUsers, startSyncHomeserver, type Account } from "./helpers.ts";

let t: TestHomeserver;
const clients = new SdkClients();
const { waitFor } = clients;

/** Starts a client and resolves once it reached PREPARED, recording every sync state it passes. */
async function startClient(account: Account, opts: sdk.IStartClientOpts = {}): Promise<{ client: sdk.MatrixClient; states: string[] }> {
  const client = clients.create(t.baseUrl, account);
  const states: string[] = [];
  const prepared = new Promise<void>((resolve) => {
    client.on(sdk.ClientEvent.Sync, (state) => {
      states.push(state);
      if (state === sdk.SyncState.Prepared) resolve();
    });
  });
  await client.startClient({ initialSyncLimit: 20, ...opts });
  await prepared;
  return { client, states };
}

function messageBodies(client: sdk.MatrixClient, roomId: string): string[] {
  const room = client.getRoom(roomId);
  if (!room) return [];
  return room
    .getLiveTimeline()
    .getEvents()
    .filter((e) => e.getType() === "m.room.message")
    .map((e) => e.getContent().body as string);
}

beforeAll(async () => {
  (sdkLogger as unknown as { setLevel(level: string): void }).setLevel("error");
  t = await startSyncHomeserver();
});
afterAll(async () => {
  clients.stopAll();
  await t.stop();
});

describe("matrix-js-sdk clients on /sync", () => {
  for (const lazyLoadMembers of [false, true]) {
    test(`two clients see each other's messages, typing, receipts, name changes and leaves (lazy loading ${lazyLoadMembers ? "on" : "off"})`, async () => {
      const suffix = lazyLoadMembers ? "ll" : "full";
      const [aliceAcc, bobAcc] = await registerUsers(t, `alice_${suffix}`, `bob_${suffix}`);
      const { client: alice, states: aliceStates } = await startClient(aliceAcc!, { lazyLoadMembers });
      const { client: bob } = await startClient(bobAcc!, { lazyLoadMembers });
      await waitFor("alice SYNCING", () => aliceStates.includes(sdk.SyncState.Syncing));

      // Invite reaches bob; he joins.
      const { room_id: roomId } = await alice.createRoom({ name: "Sync test", invite: [bobAcc!.userId] });
      await waitFor("bob sees the invite", () => bob.getRoom(roomId)?.getMyMembership() === "invite");
      expect(bob.getRoom(roomId)!.name).toBe("Sync test");
      await bob.joinRoom(roomId);
      await waitFor("alice sees bob join", () => alice.getRoom(roomId)?.getMember(bobAcc!.userId)?.membership === "join");

      // Messages both ways, in order.
      await alice.sendTextMessage(roomId, "hello bob");
      await waitFor("bob has alice's message", () => messageBodies(bob, roomId).length === 1);
      await bob.sendTextMessage(roomId, "hello alice");
      await waitFor("bob has both messages", () => messageBodies(bob, roomId).length === 2);
      await waitFor("alice has both messages", () => messageBodies(alice, roomId).length === 2);
      expect(messageBodies(bob, roomId)).toEqual(["hello bob", "hello alice"]);
      expect(messageBodies(alice, roomId)).toEqual(["hello bob", "hello alice"]);

      // Typing.
      await alice.sendTyping(roomId, true, 30_000);
      await waitFor("bob sees alice typing", () => bob.getRoom(roomId)?.getMember(aliceAcc!.userId)?.typing === true);
      await alice.sendTyping(roomId, false, 0);
      await waitFor("bob sees alice stop typing", () => bob.getRoom(roomId)?.getMember(aliceAcc!.userId)?.typing === false);

      // Read receipts.
      const lastEvent = alice.getRoom(roomId)!.getLiveTimeline().getEvents().at(-1)!;
      expect(lastEvent.getContent().body).toBe("hello alice");
      await alice.sendReadReceipt(lastEvent);
      await waitFor("bob sees alice's receipt", () => bob.getRoom(roomId)?.getEventReadUpTo(aliceAcc!.userId) === lastEvent.getId());

      // Room name and display name changes.
      await alice.setRoomName(roomId, "Renamed");
      await waitFor("bob sees the new room name", () => bob.getRoom(roomId)?.name === "Renamed");
      await bob.setDisplayName("Bobby");
      await waitFor("alice sees bob's new name", () => alice.getRoom(roomId)?.getMember(bobAcc!.userId)?.name === "Bobby");

      // Leaving.
      await bob.leave(roomId);
      await waitFor("alice sees bob leave", () => alice.getRoom(roomId)?.getMember(bobAcc!.userId)?.membership === "leave");
      await waitFor("bob's room is left", () => bob.getRoom(roomId)?.getMyMembership() === "leave");

      alice.stopClient();
      bob.stopClient();
      expect(aliceStates[0]).toBe(sdk.SyncState.Prepared);
      expect(aliceStates).toContain(sdk.SyncState.Syncing);
      expect(aliceStates).not.toContain(sdk.SyncState.Error);
    });
  }
});
