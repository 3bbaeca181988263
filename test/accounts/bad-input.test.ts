import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { register, startAccountsHomeserver, type Account } from "./helpers.ts";

const V3 = "/_matrix/client/v3";
const HUGE = "x".repeat(100 * 1024);

/** Raw bodies that are not a JSON object. */
const RAW_BODIES = ["", "{", "not json", "[]", "null", "5", '"a string"', "true", `[${"[".repeat(5000)}${"]".repeat(5000)}]`];

/** JSON bodies with wrong types, missing fields and huge strings in every field these endpoints read. */
const JSON_BODIES: unknown[] = [
  {},
  { username: 5, password: {}, auth: "x" },
  { username: HUGE, password: HUGE },
  { username: "ok", password: HUGE },
  { auth: { session: 5 } },
  { auth: { type: 5, session: "s" } },
  { auth: { type: "m.login.dummy", session: HUGE } },
  { auth: { type: "m.login.password", identifier: "x", password: 1 } },
  { auth: { type: "m.login.password", identifier: { type: "m.id.user", user: {} }, password: "p" } },
  { auth: { type: "m.login.password", identifier: { type: "m.id.user", user: HUGE }, password: HUGE } },
  { auth: { type: "m.login.registration_token", token: 5 } },
  { auth: [] },
  { type: 5 },
  { type: "m.login.password", identifier: { type: "m.id.user", user: HUGE }, password: "p" },
  { type: "m.login.password", identifier: { type: "m.id.thirdparty", medium: HUGE, address: HUGE }, password: "p" },
  { type: "m.login.password", identifier: { type: "m.id.phone", country: 1, phone: [] }, password: "p" },
  { type: "m.login.password", user: ["a"], password: "p" },
  { type: "m.login.password", identifier: { type: "m.id.user", user: "u" }, password: "p", device_id: 5 },
  { type: "m.login.password", identifier: { type: "m.id.user", user: "u" }, password: "p", device_id: HUGE, initial_device_display_name: {} },
  { refresh_token: 5 },
  { refresh_token: HUGE },
  { device_id: ["x"], initial_device_display_name: 5, inhibit_login: "yes" },
  { devices: "x" },
  { devices: [5, null] },
  { devices: [HUGE] },
  { new_password: 5, logout_devices: "no" },
  { new_password: HUGE },
  { erase: "x", id_server: 5 },
  { display_name: 5 },
  { display_name: HUGE },
  { displayname: [], avatar_url: {} },
  { displayname: HUGE },
  { nonce: 5, username: 5, password: 5, mac: 5, admin: "x", user_type: 5, displayname: 5 },
  { nonce: HUGE, username: HUGE, password: HUGE, mac: HUGE },
  { [HUGE]: HUGE },
  { username: "deep", a: JSON.parse(`${"[".repeat(5000)}${"]".repeat(5000)}`) },
];

describe("bad input never gives a 5xx", () => {
  let t: TestHomeserver;
  let me: Account;
  beforeAll(async () => {
    t = await startAccountsHomeserver();
    me = await register(t, "target", "pw");
  });
  afterAll(() => t.stop());

  const endpoints = (): Array<[string, string, string | undefined]> => [
    ["POST", `${V3}/register`, undefined],
    ["POST", `${V3}/register?kind=guest`, undefined],
    ["POST", `${V3}/login`, undefined],
    ["POST", `${V3}/refresh`, undefined],
    ["POST", `${V3}/logout`, "syt_bm9ib2R5_aaaaaaaaaaaaaaaaaaaa_000000"],
    ["POST", `${V3}/account/password`, me.accessToken],
    ["POST", `${V3}/account/deactivate`, me.accessToken],
    ["POST", `${V3}/delete_devices`, me.accessToken],
    ["PUT", `${V3}/devices/${me.deviceId}`, me.accessToken],
    ["DELETE", `${V3}/devices/${me.deviceId}`, me.accessToken],
    ["PUT", `${V3}/profile/${me.userId}/displayname`, me.accessToken],
    ["PUT", `${V3}/profile/${me.userId}/avatar_url`, me.accessToken],
    ["PUT", `${V3}/profile/${me.userId}/org.example.field`, me.accessToken],
    ["PUT", `${V3}/user/${me.userId}/account_data/org.example`, me.accessToken],
    ["PUT", `${V3}/user/${me.userId}/rooms/!r:test.local/account_data/org.example`, me.accessToken],
    ["POST", `${V3}/account/3pid/add`, me.accessToken],
    ["POST", `${V3}/register/email/requestToken`, undefined],
    ["POST", "/_synapse/admin/v1/register", undefined],
  ];

  test("raw non-object bodies", async () => {
    for (const [method, path, token] of endpoints()) {
      for (const body of RAW_BODIES) {
        const r = await t.request(method, path, { body, token, headers: { "content-type": "application/json" } });
        if (r.status >= 500) throw new Error(`${method} ${path} with ${JSON.stringify(body.slice(0, 40))} gave ${r.status}`);
        expect(r.status).toBeGreaterThanOrEqual(400);
        // An empty DELETE body is allowed: it gets the UIA challenge.
        if (typeof r.body?.errcode !== "string" && !(r.status === 401 && r.body?.flows)) throw new Error(`${method} ${path} with ${JSON.stringify(body.slice(0, 40))}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
  });

  test("wrong types, missing fields and 100 KB strings", async () => {
    for (const [method, path, token] of endpoints()) {
      for (const body of JSON_BODIES) {
        const r = await t.request(method, path, { body, token });
        if (r.status >= 500) throw new Error(`${method} ${path} with ${JSON.stringify(body).slice(0, 120)} gave ${r.status} ${JSON.stringify(r.body)}`);
        expect(typeof r.body).toBe("object");
      }
    }
    // The account survived all of that.
    expect((await t.request("GET", `${V3}/account/whoami`, { token: me.accessToken })).body.user_id).toBe(me.userId);
  });

  test("huge and odd path and query parameters", async () => {
    const paths = [
      `${V3}/profile/${HUGE}`,
      `${V3}/profile/@${HUGE}:test.local/displayname`,
      `${V3}/profile/${me.userId}/${HUGE}`,
      `${V3}/register/available?username=${HUGE}`,
      `${V3}/register/available?username=%00`,
      `/_matrix/client/v1/register/m.login.registration_token/validity?token=${HUGE}`,
      `${V3}/devices/${HUGE}`,
      `${V3}/user/${me.userId}/account_data/${HUGE}`,
      `${V3}/user/${me.userId}/rooms/${HUGE}/account_data/x`,
      `${V3}/account/whoami?access_token=${HUGE}`,
    ];
    for (const path of paths) {
      const r = await t.request("GET", path, { token: path.includes("access_token") ? undefined : me.accessToken });
      if (r.status >= 500) throw new Error(`GET ${path.slice(0, 80)} gave ${r.status}`);
    }
  });
});
