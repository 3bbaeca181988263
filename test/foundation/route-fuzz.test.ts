// Every route of the Client-Server and admin APIs, fed malformed path parameters, query
// strings and bodies by two users (an admin and not), answers below 500. The routes are
// listed from the router itself, so a new route is covered as soon as it is registered.
// Routes that end the users' sessions or accounts are left out (their own tests cover
// their bad input): the rest of the run needs the two tokens.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHttpApp } from "../../src/http/app.ts";
import { registerRoutes } from "../../src/api/routes.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, enc, registerAdmin, registerUsers, startRoomsHomeserver, type Account } from "../rooms/helpers.ts";

let t: TestHomeserver;
let admin: Account;
let alice: Account;
let roomId: string;
let eventId: string;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  admin = await registerAdmin(t);
  [alice] = await registerUsers(t, "alice");
  roomId = (await clientFor(t, admin)("POST", "/createRoom", { preset: "public_chat", room_alias_name: "fuzz" })).body.room_id;
  eventId = (await clientFor(t, admin)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/fuzz1`, { body: "x" })).body.event_id;
});
afterAll(() => t.stop());

const SESSION_ENDING = /logout|deactivate|password|delete_devices|devices|shutdown|purge|login|register|erase|suspend|lock|\/users\/:userId$/;

/** Registered routes as (method, pattern), both client prefixes included. */
function listRoutes(): Array<{ method: string; path: string }> {
  const { app, router } = createHttpApp({ serverName: t.hs.serverName, clock: t.hs.clock, authenticate: async () => undefined });
  registerRoutes(router, t.hs.services);
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of app.routes) if (r.method !== "ALL" && !SESSION_ENDING.test(r.path)) seen.set(`${r.method} ${r.path}`, r);
  return [...seen.values()];
}

/** A parameter's well-formed value first, then malformed ones (already percent-encoded). */
function valuesFor(name: string): string[] {
  const good: Record<string, string> = { roomId, roomIdOrAlias: roomId, eventId, userId: admin.userId, roomAlias: "#fuzz:test.local" };
  return [enc(good[name] ?? "x"), "%00", "%ZZ", "a".repeat(3000), "%F0%9F%98%80", "!", "@:", "-1", "1e400", "%2F..%2F"];
}

const FIELDS = ["user_id", "room_id", "event_id", "type", "state_key", "content", "body", "reason", "filter", "limit", "from", "dir", "device_keys",
  "one_time_keys", "auth", "new_version", "visibility", "name", "topic", "invite", "initial_state", "room_version", "creation_content",
  "power_level_content_override", "messages", "device_ids", "rules", "actions", "conditions", "pattern", "timeout", "presence", "status_msg",
  "displayname", "avatar_url", "m.read", "m.fully_read", "keys", "rooms", "events", "users", "admin", "pushkey", "app_id", "kind", "lang",
  "data", "session", "token", "tag", "order", "alias", "initial_device_display_name", "display_name"];
const ODD_VALUES: unknown[] = [5, "x", [], {}, null, true, -1, 1e300, [{}], { a: 1 }];

const BODIES: Array<string | undefined> = [
  undefined,
  "not json",
  "[]",
  "null",
  "5",
  '"s"',
  "{}",
  '{"a":',
  JSON.stringify({ a: { b: [null, 1e308, -0, "x\u0000"] } }),
  JSON.stringify(Object.fromEntries(FIELDS.map((k, i) => [k, ODD_VALUES[i % ODD_VALUES.length]]))),
  JSON.stringify(Object.fromEntries(FIELDS.map((k) => [k, "nul\u0000here"]))),
  JSON.stringify({ initial_state: [{ type: "a\u0000b", state_key: "", content: {} }] }),
  JSON.stringify({ msgtype: "m.text", body: "x", "m.relates_to": { rel_type: "m.thread", event_id: "$a\u0000b" } }),
  JSON.stringify({ membership: "join", displayname: "a\u0000b", avatar_url: "mxc://a\u0000b" }),
  JSON.stringify({ displayname: "lone \ud800 surrogate", body: "\udfff", name: "\ud800" }),
  `{"content":${"[".repeat(50_000)}${"]".repeat(50_000)}}`,
];
const QUERY = "?limit=-5&from=zz&dir=q&filter=%7B&since=s_x&timeout=abc&ts=x&to=y&at=z&membership=q&not_membership=q&from_token=%00";

test("no route answers malformed input with a server error", async () => {
  const routes = listRoutes();
  expect(routes.length).toBeGreaterThan(100);
  const failures: string[] = [];
  let sent = 0;
  for (const { method, path } of routes) {
    const names = [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
    const fill = (target?: string, k = 0) =>
      names.reduce((p, n) => p.replace(new RegExp(`:${n}(\\{[^}]*\\})?`), valuesFor(n)[n === target ? k : 0]!), path);
    // Well-formed parameters, then each parameter malformed in turn.
    const paths = new Set([fill()]);
    for (const n of names) for (let k = 1; k < valuesFor(n).length; k++) paths.add(fill(n, k));
    for (const p of paths) {
      for (const [i, body] of (method === "GET" || method === "DELETE" ? [undefined] : BODIES).entries()) {
        const token = (i + sent) % 2 === 0 ? admin.accessToken : alice.accessToken;
        const url = t.baseUrl + p + (method === "GET" && sent % 2 === 0 ? QUERY : "");
        const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body });
        const text = await res.text();
        sent++;
        if (res.status >= 500) failures.push(`${res.status} ${method} ${p.slice(0, 120)} ${String(body).slice(0, 60)} -> ${text.slice(0, 160)}`);
      }
    }
  }
  expect(sent).toBeGreaterThan(5000);
  expect(failures).toEqual([]);
}, 180_000);
