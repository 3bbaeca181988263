// Every room endpoint fed malformed input answers 4xx, never a 5xx.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestHomeserver } from "../support/homeserver.ts";
import { clientFor, enc, registerUsers, startRoomsHomeserver, txn, type Account } from "./helpers.ts";

let t: TestHomeserver;
let alice: Account;
let roomId: string;
let eventId: string;

beforeAll(async () => {
  t = await startRoomsHomeserver();
  [alice] = await registerUsers(t, "alice");
  roomId = (await clientFor(t, alice)("POST", "/createRoom", {})).body.room_id;
  eventId = (await clientFor(t, alice)("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { body: "x" })).body.event_id;
});
afterAll(() => t.stop());

const badRoomIds = ["notaroom", "!", "%ZZ", "!" + "a".repeat(300) + ":test.local", "@alice:test.local", "!room", "%00"];
const badEventIds = ["noevent", "$", "%24%2F", "$" + "a".repeat(300), "!notevent:x"];
const badBodies: unknown[] = ["not json", "[1,2]", "5", "null", '{"a":', JSON.stringify({ user_id: 5 }), JSON.stringify({ reason: ["x"] })];

async function expect4xx(method: string, path: string, body?: unknown, allowed: number[] = []) {
  const res = await t.request(method, path.startsWith("/_matrix") ? path : `/_matrix/client/v3${path}`, { token: alice.accessToken, body });
  if (allowed.includes(res.status)) return res;
  expect(res.status, `${method} ${path} ${String(body).slice(0, 60)} → ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${method} ${path}`).toBeLessThan(500);
  return res;
}

test("bad room ids on every room route", async () => {
  for (const bad of badRoomIds) {
    const r = `/rooms/${bad}`;
    await expect4xx("POST", `/join/${bad}`, {});
    await expect4xx("POST", `/knock/${bad}`, {});
    for (const action of ["join", "leave", "forget"]) await expect4xx("POST", `${r}/${action}`, {});
    for (const action of ["invite", "kick", "ban", "unban"]) await expect4xx("POST", `${r}/${action}`, { user_id: alice.userId });
    await expect4xx("GET", `${r}/state`);
    await expect4xx("GET", `${r}/state/m.room.name/`);
    await expect4xx("PUT", `${r}/state/m.room.name/`, { name: "x" });
    await expect4xx("GET", `${r}/members`);
    await expect4xx("GET", `${r}/joined_members`);
    await expect4xx("PUT", `${r}/send/m.room.message/${txn()}`, { body: "x" });
    await expect4xx("PUT", `${r}/redact/${enc(eventId)}/${txn()}`, {});
    await expect4xx("GET", `${r}/event/${enc(eventId)}`);
    await expect4xx("GET", `${r}/messages?dir=b`);
    await expect4xx("GET", `${r}/context/${enc(eventId)}`);
    await expect4xx("GET", `/_matrix/client/v1/rooms/${bad}/timestamp_to_event?ts=1&dir=f`);
    await expect4xx("GET", `/_matrix/client/v1/rooms/${bad}/relations/${enc(eventId)}`);
    await expect4xx("GET", `/_matrix/client/v1/rooms/${bad}/threads`);
  }
});

test("bad event ids", async () => {
  const r = `/rooms/${enc(roomId)}`;
  for (const bad of badEventIds) {
    await expect4xx("GET", `${r}/event/${bad}`);
    await expect4xx("GET", `${r}/context/${bad}`);
    await expect4xx("PUT", `${r}/redact/${bad}/${txn()}`, {});
    await expect4xx("GET", `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${bad}/m.thread`);
  }
  // A well-formed v3 event id with '/' and '+' arrives percent-encoded and is simply unknown.
  const res = await expect4xx("GET", `${r}/event/${enc("$" + "ab/cd+ef".padEnd(43, "x"))}`);
  expect(res.status).toBe(404);
});

test("bad bodies", async () => {
  const r = `/rooms/${enc(roomId)}`;
  for (const body of badBodies) {
    // Unknown keys are ignored by /createRoom, so an object body may well succeed.
    await expect4xx("POST", "/createRoom", body, String(body).startsWith("{\"") ? [200] : []);
    for (const action of ["invite", "kick", "ban", "unban"]) await expect4xx("POST", `${r}/${action}`, body);
    await expect4xx("PUT", `${r}/send/m.room.message/${txn()}`, body, [200]);
    await expect4xx("PUT", `${r}/state/m.room.topic/`, body, [200]);
    await expect4xx("PUT", `${r}/redact/${enc(eventId)}/${txn()}`, body, [200]);
  }
  await expect4xx("POST", `${r}/invite`, {});
  await expect4xx("POST", `${r}/invite`, { user_id: "not a user" });
  await expect4xx("POST", `${r}/invite`, { medium: "email", address: "a@b.c", id_server: "x" });
  await expect4xx("POST", `${r}/kick`, { user_id: "@" + "x".repeat(300) + ":test.local" });
  await expect4xx("POST", "/createRoom", { initial_state: [{ type: "x".repeat(300), content: {} }] });
  await expect4xx("POST", "/createRoom", { initial_state: [{ type: "m.room.power_levels", content: { users: "all" } }] });
  await expect4xx("POST", "/createRoom", { power_level_content_override: { ban: 1.5 } });
  await expect4xx("POST", "/createRoom", { creation_content: { additional_creators: ["nope"] } });
  await expect4xx("POST", "/createRoom", { room_alias_name: "bad alias:with colon" });
  await expect4xx("PUT", `${r}/send/m.room.message/${"t".repeat(300)}`, { body: "x" });
  await expect4xx("PUT", `${r}/send/m.room.redaction/${txn()}`, { body: "no redacts" });
  await expect4xx("PUT", `${r}/state/m.room.power_levels/`, { users: { [alice.userId]: "100" } });
  await expect4xx("PUT", `${r}/state/m.room.member/${enc("@nobody:test.local")}`, { membership: "join" });
  await expect4xx("PUT", `${r}/state/m.room.name/${"k".repeat(300)}`, { name: "x" });
  await expect4xx("PUT", `${r}/state/m.room.name/`, { name: "x", deep: JSON.parse("[".repeat(200) + "]".repeat(200)) }, [200]);
});

test("bad query parameters", async () => {
  const r = `/rooms/${enc(roomId)}`;
  for (const q of ["dir=x", "limit=abc", "limit=-1", "limit=1e9", "from=zzz", "to=t1", "from=s-1", "filter=notjson", `filter=${enc('{"types":"x"}')}`, `filter=${enc("[]")}`, "from=t99999999999999999-1"]) {
    await expect4xx("GET", `${r}/messages?${q}`, undefined, [200]);
  }
  for (const q of ["limit=abc", "limit=-5", "filter=%7B"]) await expect4xx("GET", `${r}/context/${enc(eventId)}?${q}`);
  for (const q of ["", "ts=1", "dir=f", "ts=x&dir=f", "ts=1&dir=x", "ts=-1&dir=f"]) {
    await expect4xx("GET", `/_matrix/client/v1/rooms/${enc(roomId)}/timestamp_to_event?${q}`);
  }
  for (const q of ["limit=0", "limit=x", "dir=q", "from=garbage"]) {
    await expect4xx("GET", `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(eventId)}?${q}`);
  }
  for (const q of ["include=x", "limit=0", "from=nope"]) await expect4xx("GET", `/_matrix/client/v1/rooms/${enc(roomId)}/threads?${q}`);
  for (const q of ["membership=x", "not_membership=x", "at=junk"]) await expect4xx("GET", `${r}/members?${q}`);
  await expect4xx("GET", `${r}/state/m.room.create/?format=xml`);
});

test("no access token is 401 on every room route", async () => {
  for (const [method, path] of [
    ["POST", "/createRoom"],
    ["GET", "/joined_rooms"],
    ["POST", `/join/${enc(roomId)}`],
    ["GET", `/rooms/${enc(roomId)}/messages`],
    ["PUT", `/rooms/${enc(roomId)}/send/m.room.message/x`],
  ] as const) {
    const res = await t.request(method, `/_matrix/client/v3${path}`, { body: method === "GET" ? undefined : {} });
    expect(res.status).toBe(401);
  }
});

// PostgreSQL's text cannot hold NUL (U+0000): a NUL that reached a column failed the whole
// write, and a batch of events with it (other senders' messages too).
test("NUL characters: refused in paths and names, left out of the columns derived from content", async () => {
  const r = `/rooms/${enc(roomId)}`;
  for (const [method, path, body] of [
    ["PUT", `${r}/state/m.room.name/%00`, {}],
    ["PUT", `${r}/state/a%00b/`, {}],
    ["PUT", `/user/${enc(alice.userId)}/account_data/%00`, {}],
    ["GET", "/presence/%00/status", undefined],
    ["POST", "/rooms/%00/read_markers", {}],
    ["GET", `${r}/messages?dir=b&from=%00`, undefined],
  ] as const) {
    const res = await expect4xx(method, path, body);
    expect(res.status, path).toBe(400);
    expect(res.body.errcode, path).toBe("M_INVALID_PARAM");
  }
  const created = await expect4xx("POST", "/createRoom", { initial_state: [{ type: "a\u0000b", state_key: "", content: {} }] });
  expect(created.status).toBe(400);
  expect(created.body.errcode).toBe("M_INVALID_PARAM");
  for (const displayname of ["a\u0000b", "lone \ud800 surrogate"]) {
    const named = await expect4xx("PUT", `/profile/${enc(alice.userId)}/displayname`, { displayname });
    expect(named.body.errcode).toBe("M_INVALID_PARAM");
  }

  // Sent together, so they share a commit: the relation with NUL is not indexed, and neither message is lost.
  const a = clientFor(t, alice);
  const [odd, plain] = await Promise.all([
    a("PUT", `${r}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: "odd", "m.relates_to": { rel_type: "m.thread", event_id: "$a\u0000b" } }),
    a("PUT", `${r}/send/m.room.message/${txn()}`, { msgtype: "m.text", body: "plain" }),
  ]);
  expect(odd.status, JSON.stringify(odd.body)).toBe(200);
  expect(plain.status, JSON.stringify(plain.body)).toBe(200);
  const stored = await a("GET", `${r}/event/${enc(odd.body.event_id)}`);
  expect(stored.body.content["m.relates_to"].event_id).toBe("$a\u0000b");
  expect((await a("GET", `${r}/event/${enc(plain.body.event_id)}`)).body.content.body).toBe("plain");
  const threads = await t.request("GET", `/_matrix/client/v1/rooms/${enc(roomId)}/threads`, { token: alice.accessToken });
  expect(threads.status).toBe(200);

  // Elsewhere the database's refusal is bad input, not a server error (SQLite stores it).
  const report = await t.request("POST", `/_matrix/client/v3${r}/report/${enc(eventId)}`, { token: alice.accessToken, body: { reason: "a\u0000b" } });
  expect([200, 400]).toContain(report.status);
  if (report.status === 400) expect(report.body.errcode).toBe("M_INVALID_PARAM");
});
