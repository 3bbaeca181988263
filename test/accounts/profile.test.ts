import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import type { ProfileChanged } from "../../src/accounts/profile.ts";
import { register, startAccountsHomeserver, type Account } from "./helpers.ts";

const V3 = "/_matrix/client/v3";

describe("profiles", () => {
  let t: TestHomeserver;
  let me: Account;
  let other: Account;
  const changes: ProfileChanged[] = [];
  beforeAll(async () => {
    t = await startAccountsHomeserver();
    me = await register(t, "nina", "pw");
    other = await register(t, "oscar", "pw");
    t.hs.services.accounts.profile.onProfileChanged.add((e) => void changes.push(e));
  });
  afterAll(() => t.stop());

  test("display name and avatar: set, read, clear; the hook hears every change", async () => {
    const put = await t.request("PUT", `${V3}/profile/${me.userId}/displayname`, { token: me.accessToken, body: { displayname: "  Nina N  " } });
    expect(put.status).toBe(200);
    expect((await t.request("GET", `${V3}/profile/${me.userId}/displayname`)).body).toEqual({ displayname: "Nina N" });
    await t.request("PUT", `${V3}/profile/${me.userId}/avatar_url`, { token: me.accessToken, body: { avatar_url: "mxc://test.local/abc" } });
    expect((await t.request("GET", `/_matrix/client/r0/profile/${me.userId}`)).body).toEqual({
      displayname: "Nina N",
      avatar_url: "mxc://test.local/abc",
    });
    expect(changes.at(-1)).toEqual({
      userId: me.userId,
      field: "avatar_url",
      displayname: "Nina N",
      avatarUrl: "mxc://test.local/abc",
      byAdmin: false,
    });
    await t.request("PUT", `${V3}/profile/${me.userId}/avatar_url`, { token: me.accessToken, body: { avatar_url: "" } });
    expect((await t.request("GET", `${V3}/profile/${me.userId}/avatar_url`)).status).toBe(404);
    expect(changes.map((c) => c.field)).toEqual(["displayname", "avatar_url", "avatar_url"]);
  });

  test("custom fields and m.tz (spec v1.16)", async () => {
    await t.request("PUT", `${V3}/profile/${me.userId}/m.tz`, { token: me.accessToken, body: { "m.tz": "Europe/Berlin" } });
    await t.request("PUT", `${V3}/profile/${me.userId}/org.example.pronouns`, { token: me.accessToken, body: { "org.example.pronouns": ["she"] } });
    const all = (await t.request("GET", `${V3}/profile/${me.userId}`)).body;
    expect(all["m.tz"]).toBe("Europe/Berlin");
    expect(all["org.example.pronouns"]).toEqual(["she"]);
    expect((await t.request("DELETE", `${V3}/profile/${me.userId}/org.example.pronouns`, { token: me.accessToken })).status).toBe(200);
    expect((await t.request("GET", `${V3}/profile/${me.userId}/org.example.pronouns`)).status).toBe(404);
    const tz = await t.request("PUT", `${V3}/profile/${me.userId}/m.tz`, { token: me.accessToken, body: { "m.tz": 5 } });
    expect(tz.body.errcode).toBe("M_INVALID_PARAM");
  });

  test("limits: key grammar, key length, value length, the 64 KiB profile", async () => {
    const put = (key: string, value: unknown) =>
      t.request("PUT", `${V3}/profile/${me.userId}/${encodeURIComponent(key)}`, { token: me.accessToken, body: { [key]: value } });
    expect((await put("Bad.Key", 1)).body.errcode).toBe("M_INVALID_PARAM");
    expect((await put("a".repeat(256), 1)).body.errcode).toBe("M_KEY_TOO_LARGE");
    expect((await put("displayname", "x".repeat(257))).status).toBe(400);
    expect((await put("displayname", 7)).body.errcode).toBe("M_INVALID_PARAM");
    expect((await put("org.example.big", "x".repeat(70 * 1024))).body.errcode).toBe("M_PROFILE_TOO_LARGE");
    const missing = await t.request("PUT", `${V3}/profile/${me.userId}/displayname`, { token: me.accessToken, body: { other: 1 } });
    expect(missing.body.errcode).toBe("M_MISSING_PARAM");
  });

  test("only your own profile; unknown users and bad ids", async () => {
    const r = await t.request("PUT", `${V3}/profile/${other.userId}/displayname`, { token: me.accessToken, body: { displayname: "pwned" } });
    expect(r.status).toBe(403);
    expect((await t.request("GET", `${V3}/profile/${other.userId}/displayname`)).body).toEqual({ displayname: "oscar" });
    expect((await t.request("GET", `${V3}/profile/@ghost:test.local`)).status).toBe(404);
    expect((await t.request("GET", `${V3}/profile/not-a-user-id`)).body.errcode).toBe("M_INVALID_PARAM");
    expect((await t.request("PUT", `${V3}/profile/${me.userId}/displayname`, { body: { displayname: "x" } })).status).toBe(401);
  });

  test("a server admin may change another local user's profile", async () => {
    await t.hs.services.stores.users.update(me.userId, { admin: true });
    const r = await t.request("PUT", `${V3}/profile/${other.userId}/displayname`, { token: me.accessToken, body: { displayname: "Renamed" } });
    expect(r.status).toBe(200);
    expect(changes.at(-1)).toMatchObject({ userId: other.userId, byAdmin: true, displayname: "Renamed" });
    await t.hs.services.stores.users.update(me.userId, { admin: false });
  });
});
