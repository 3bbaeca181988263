import type { TestHomeserver, TestHomeserverOptions } from "../support/homeserver.ts";
import { startRoomsHomeserver, registerUsers, clientFor, enc, txn, type Account, type Client } from "../rooms/helpers.ts";

export { registerUsers, clientFor, enc, txn, type Account, type Client };

/** A homeserver with open registration and limits no sync test trips. */
export function startSyncHomeserver(opts: TestHomeserverOptions = {}): Promise<TestHomeserver> {
  return startRoomsHomeserver(opts);
}

/** A user of one test, with a client. */
export interface SyncUser {
  userId: string;
  c: Client;
}

let userSeq = 0;

/** Fresh users for one test, with clients: their names get a number, so no two tests share a user. */
export async function freshUsers(t: TestHomeserver, ...names: string[]): Promise<SyncUser[]> {
  const n = ++userSeq;
  const accounts = await registerUsers(t, ...names.map((x) => `${x}${n}`));
  return accounts.map((a) => ({ userId: a.userId, c: clientFor(t, a) }));
}

/**
 * GET /sync with query parameters; fails the test on a non-200 answer. Presence
 * is left alone (set_presence=offline) unless the test asks, so presence
 * updates do not end long-polls the test is watching for something else.
 */
export async function sync(client: Client, params: Record<string, string | number | boolean | undefined> = {}): Promise<any> {
  const qs = Object.entries({ set_presence: "offline", ...params })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${enc(String(v))}`)
    .join("&");
  const r = await client("GET", `/sync${qs ? `?${qs}` : ""}`);
  if (r.status !== 200) throw new Error(`sync failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function createRoom(client: Client, body: Record<string, unknown> = {}): Promise<string> {
  const r = await client("POST", "/createRoom", body);
  if (r.status !== 200) throw new Error(`createRoom failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.room_id;
}

export async function join(client: Client, roomId: string): Promise<void> {
  const r = await client("POST", `/rooms/${enc(roomId)}/join`, {});
  if (r.status !== 200) throw new Error(`join failed: ${r.status} ${JSON.stringify(r.body)}`);
}

/** A private room created by `owner` (with `body`) that the others were invited to and joined. */
export async function sharedRoom(owner: Client, others: SyncUser[], body: Record<string, unknown> = {}): Promise<string> {
  const roomId = await createRoom(owner, { preset: "private_chat", invite: others.map((o) => o.userId), ...body });
  for (const o of others) await join(o.c, roomId);
  return roomId;
}

export async function send(client: Client, roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await client("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body, ...extra });
  if (r.status !== 200) throw new Error(`send failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.event_id;
}

/** Bodies of the m.room.message events of a timeline. */
export function bodies(events: Array<{ type: string; content: { body?: string } }>): string[] {
  return events.filter((e) => e.type === "m.room.message").map((e) => e.content.body ?? "");
}
