import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import type { AccountDataChanged } from "../../src/accounts/account-data.ts";
import { register, startAccountsHomeserver, type Account } from "./helpers.ts";

const V3 = "/_matrix/client/v3";
const ROOM = "!room:test.local";

describe("account data", () => {
  let t: TestHomeserver;
  let me: Account;
  let other: Account;
  const changes: AccountDataChanged[] = [];
  beforeAll(async () => {
    t = await startAccountsHomeserver();
    me = await register(t, "pat", "pw");
    other = await register(t, "quinn", "pw");
    t.hs.services.accounts.accountData.onAccountDataChanged.add((e) => void changes.push(e));
  });
  afterAll(() => t.stop());

  test("global: put, get, replace; stream positions only grow", async () => {
    const path = `${V3}/user/${me.userId}/account_data/m.direct`;
    expect((await t.request("GET", path, { token: me.accessToken })).status).toBe(404);
    expect((await t.request("PUT", path, { token: me.accessToken, body: { "@quinn:test.local": ["!a:test.local"] } })).status).toBe(200);
    expect((await t.request("GET", path, { token: me.accessToken })).body).toEqual({ "@quinn:test.local": ["!a:test.local"] });
    await t.request("PUT", path, { token: me.accessToken, body: { replaced: true } });
    expect((await t.request("GET", `/_matrix/client/r0/user/${me.userId}/account_data/m.direct`, { token: me.accessToken })).body).toEqual({
      replaced: true,
    });
    expect(changes.length).toBe(2);
    expect(changes[1]!.streamId).toBeGreaterThan(changes[0]!.streamId);
    expect(changes[1]).toMatchObject({ userId: me.userId, roomId: null, type: "m.direct" });
    expect(await t.hs.services.stores.accountData.maxStreamId()).toBe(changes[1]!.streamId);
  });

  test("per room", async () => {
    const path = `${V3}/user/${me.userId}/rooms/${encodeURIComponent(ROOM)}/account_data/m.tag`;
    await t.request("PUT", path, { token: me.accessToken, body: { tags: { "m.favourite": {} } } });
    expect((await t.request("GET", path, { token: me.accessToken })).body).toEqual({ tags: { "m.favourite": {} } });
    expect(changes.at(-1)).toMatchObject({ roomId: ROOM, type: "m.tag" });
    // Global and room data of the same type are separate.
    expect((await t.request("GET", `${V3}/user/${me.userId}/account_data/m.tag`, { token: me.accessToken })).status).toBe(404);
    const bad = await t.request("PUT", `${V3}/user/${me.userId}/rooms/not-a-room/account_data/m.tag`, { token: me.accessToken, body: {} });
    expect(bad.body.errcode).toBe("M_INVALID_PARAM");
  });

  test("only your own; m.fully_read and m.push_rules have their own APIs", async () => {
    const theirs = `${V3}/user/${other.userId}/account_data/m.direct`;
    expect((await t.request("PUT", theirs, { token: me.accessToken, body: {} })).status).toBe(403);
    expect((await t.request("GET", theirs, { token: me.accessToken })).status).toBe(403);
    const fully = await t.request("PUT", `${V3}/user/${me.userId}/rooms/${encodeURIComponent(ROOM)}/account_data/m.fully_read`, {
      token: me.accessToken,
      body: { event_id: "$x" },
    });
    expect(fully.status).toBe(405);
    expect((await t.request("PUT", `${V3}/user/${me.userId}/account_data/m.push_rules`, { token: me.accessToken, body: {} })).status).toBe(405);
  });

  test("the body must be a JSON object", async () => {
    const path = `${V3}/user/${me.userId}/account_data/org.example`;
    expect((await t.request("PUT", path, { token: me.accessToken, body: "[1]" })).body.errcode).toBe("M_BAD_JSON");
    expect((await t.request("PUT", path, { token: me.accessToken, body: "{nope" })).body.errcode).toBe("M_NOT_JSON");
  });
});
