// End-to-end encryption with matrix-js-sdk's Rust crypto as the client: what Element does.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as sdk from "matrix-js-sdk";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { SdkClients } from "../support/sdk.ts";
import { addDevice, createUser, type TestUser } from "./helpers.ts";

let t: TestHomeserver;
/** The SDK and the Rust crypto log a lot; keep only errors, to show when a test fails. */
const clients = new SdkClients({ timeoutMs: 45_000, pollMs: 50 });
const { waitFor } = clients;

async function startClient(user: TestUser): Promise<sdk.MatrixClient> {
  const client = clients.create(t.baseUrl, { userId: user.userId, accessToken: user.token, deviceId: user.deviceId });
  await client.initRustCrypto({ useIndexedDB: false });
  const prepared = new Promise<void>((resolve) => {
    client.on(sdk.ClientEvent.Sync, (state) => {
      if (state === sdk.SyncState.Prepared || state === sdk.SyncState.Syncing) resolve();
    });
  });
  await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: false });
  await prepared;
  return client;
}

async function bootstrapCrossSigning(client: sdk.MatrixClient): Promise<void> {
  await client.getCrypto()!.bootstrapCrossSigning({
    // The first upload of cross-signing keys needs no UIA.
    authUploadDeviceSigningKeys: async (makeRequest) => {
      await makeRequest(null);
    },
  });
}

beforeAll(async () => {
  clients.captureRootLogger();
  t = await startTestHomeserver();
});
afterAll(async () => {
  clients.stopAll();
  await t.stop();
});

describe("matrix-js-sdk Rust crypto against Hearth", () => {
  test("cross-signing bootstrap, an encrypted message decrypted by the receiver, and by a later device from key backup", async () => {
    const alice = await createUser(t, "alice");
    const bob = await createUser(t, "bob");
    const aliceClient = await startClient(alice);
    const bobClient = await startClient(bob);

    // Cross-signing bootstrap.
    await bootstrapCrossSigning(aliceClient);
    await bootstrapCrossSigning(bobClient);
    expect(await aliceClient.getCrypto()!.isCrossSigningReady()).toBe(true);
    expect(await bobClient.getCrypto()!.isCrossSigningReady()).toBe(true);
    const status = await bobClient.getCrypto()!.getCrossSigningStatus();
    expect(status.publicKeysOnDevice).toBe(true);
    expect(status.privateKeysCachedLocally).toEqual({ masterKey: true, selfSigningKey: true, userSigningKey: true });
    const serverMaster = await t.hs.services.e2ee.stores.crossSigning.key(bob.userId, "master");
    expect(serverMaster?.publicKey).toBe((await bobClient.getCrypto()!.getCrossSigningKeyId())!);

    // Bob backs up his room keys on the server.
    await bobClient.getCrypto()!.resetKeyBackup();
    const backupVersion = await waitFor("bob's backup version", async () => (await bobClient.getCrypto()!.getActiveSessionBackupVersion()) ?? undefined);

    // An encrypted room with both.
    const { room_id: roomId } = await aliceClient.createRoom({
      invite: [bob.userId],
      initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
    });
    await waitFor("bob's invite", () => bobClient.getRoom(roomId)?.getMyMembership() === "invite");
    await bobClient.joinRoom(roomId);
    await waitFor("alice seeing bob joined", () => aliceClient.getRoom(roomId)?.getMember(bob.userId)?.membership === "join");
    expect(await aliceClient.getCrypto()!.isEncryptionEnabledInRoom(roomId)).toBe(true);

    const text = "The owl flies at midnight";
    const { event_id: eventId } = await aliceClient.sendMessage(roomId, { msgtype: sdk.MsgType.Text, body: text });

    // On the wire the event is encrypted.
    const raw = await t.request("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`, { token: bob.token });
    expect(raw.body.type).toBe("m.room.encrypted");
    expect(JSON.stringify(raw.body.content)).not.toContain(text);

    // Bob's client decrypts it.
    const received = await waitFor("bob receiving the event", () => bobClient.getRoom(roomId)?.findEventById(eventId));
    await waitFor("bob decrypting the event", () => !received.isBeingDecrypted() && !received.isDecryptionFailure() && received.getType() === "m.room.message");
    expect(received.getContent().body).toBe(text);

    // Bob's client backed the room key up (the SDK waits a random 0-10 s before uploading).
    await waitFor("the room key in bob's backup", async () => (await t.hs.services.e2ee.keyBackup.versionInfo(bob.userId)).count > 0);
    const backupKey = await bobClient.getCrypto()!.getSessionBackupPrivateKey();
    expect(backupKey).not.toBeNull();

    // A new device of Bob's logs in later and restores the key from the backup.
    const bob2 = await addDevice(t, bob.userId, "BOBLATER");
    const bob2Client = await startClient(bob2);
    await bob2Client.getCrypto()!.storeSessionBackupPrivateKey(backupKey!, backupVersion);
    const restored = await bob2Client.getCrypto()!.restoreKeyBackup();
    expect(restored.imported).toBeGreaterThan(0);

    const fetched = new sdk.MatrixEvent(await bob2Client.fetchRoomEvent(roomId, eventId));
    await bob2Client.decryptEventIfNeeded(fetched);
    expect(fetched.isDecryptionFailure()).toBe(false);
    expect(fetched.getContent().body).toBe(text);
  }, 180_000);
});
