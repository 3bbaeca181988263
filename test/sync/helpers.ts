import type { TestHomeserver, TestHomeserverOptions } from "../support/homeserver.ts";
import { startRoomsHomeserver, registerUsers, clientFor, enc, txn, type Account } from "../rooms/helpers.ts";

export { registerUsers, clientFor, enc, txn, type Account };

/** A homeserver with open registration and limits no sync test trips. */
export function startSyncHomeserver(opts: TestHomeserverOptions = {}): Promise<TestHomeserver> {
  return startRoomsHomeserver(opts);
}

export type Client = ReturnType<typeof clientFor>;

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

export async function send(client: Client, roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await client("PUT", `/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body, ...extra });
  if (r.status !== 200) throw new Error(`send failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.event_id;
}

/** Bodies of the m.room.message events of a timeline. */
export function bodies(events: Array<{ type: string; content: { body?: string } }>): string[] {
  return events.filter((e) => e.type === "m.room.message").map((e) => e.content.body ?? "");
}
