import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as sdk from "matrix-js-sdk";
import { startMasSetup, type MasTestSetup } from "./harness.ts";


describe("matrix-js-sdk with a MAS-issued token", () => {
  let s: MasTestSetup;
  beforeAll(async () => {
    s = await startMasSetup();
  });
  afterAll(() => s.stop());

  test("discovers the OAuth 2.0 metadata the SDK validates", async () => {
    const client = sdk.createClient({ baseUrl: s.server.baseUrl });
    const metadata = await client.getAuthMetadata();
    expect(metadata.issuer).toBe(s.mas.endpoint);
    expect(metadata.account_management_uri).toBe(`${s.mas.endpoint}account/`);
  });

  test("whoami answers with the user and device MAS provisioned", async () => {
    const token = await s.userWithToken("sdkuser", { deviceId: "SDKDEVICE" });
    const client = sdk.createClient({ baseUrl: s.server.baseUrl, userId: "@sdkuser:test.local", accessToken: token, deviceId: "SDKDEVICE" });
    const me = await client.whoami();
    expect(me).toEqual({ user_id: "@sdkuser:test.local", device_id: "SDKDEVICE", is_guest: false });
  });

  test("creates a room, sends a message and reads it back; a MAS display-name change reaches the member event", async () => {
    const token = await s.userWithToken("talker", { deviceId: "TALKDEV" });
    const client = sdk.createClient({ baseUrl: s.server.baseUrl, userId: "@talker:test.local", accessToken: token, deviceId: "TALKDEV" });
    const { room_id: roomId } = await client.createRoom({ name: "MAS room" });
    const { event_id: eventId } = await client.sendTextMessage(roomId, "hello from a MAS token");
    const event = await client.fetchRoomEvent(roomId, eventId);
    expect(event).toMatchObject({ sender: "@talker:test.local", content: { body: "hello from a MAS token" } });
    const history = await client.createMessagesRequest(roomId, null, 10, sdk.Direction.Backward);
    expect(history.chunk.some((e) => e.event_id === eventId)).toBe(true);

    expect((await s.masApi("POST", "set_displayname", { localpart: "talker", displayname: "Talker from MAS" })).status).toBe(200);
    const member = await client.getStateEvent(roomId, "m.room.member", "@talker:test.local");
    expect(member).toMatchObject({ membership: "join", displayname: "Talker from MAS" });
  });

  test("syncs with a MAS token and sees its room and message", async () => {
    const token = await s.userWithToken("syncer", { deviceId: "SYNCDEV" });
    const client = sdk.createClient({ baseUrl: s.server.baseUrl, userId: "@syncer:test.local", accessToken: token, deviceId: "SYNCDEV" });
    const { room_id: roomId } = await client.createRoom({ name: "synced room" });
    await client.sendTextMessage(roomId, "see me in sync");
    const prepared = new Promise<void>((resolve, reject) => {
      client.on(sdk.ClientEvent.Sync, (state: string) => {
        if (state === "PREPARED") resolve();
        if (state === "ERROR") reject(new Error("sync failed"));
      });
    });
    await client.startClient({ initialSyncLimit: 10 });
    try {
      await prepared;
      const room = client.getRoom(roomId);
      expect(room?.name).toBe("synced room");
      const bodies = room!.getLiveTimeline().getEvents().map((e) => e.getContent().body);
      expect(bodies).toContain("see me in sync");
    } finally {
      client.stopClient();
    }
  });

  test("a token MAS no longer honours is refused with M_UNKNOWN_TOKEN", async () => {
    const token = await s.userWithToken("sdkgone", { deviceId: "GONE" });
    await s.masApi("POST", "delete_device", { localpart: "sdkgone", device_id: "GONE" });
    const client = sdk.createClient({ baseUrl: s.server.baseUrl, accessToken: token });
    const err = await client.whoami().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(sdk.MatrixError);
    expect((err as sdk.MatrixError).errcode).toBe("M_UNKNOWN_TOKEN");
    expect((err as sdk.MatrixError).httpStatus).toBe(401);
  });
});
