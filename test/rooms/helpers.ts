import { expect } from "bun:test";
import { startTestHomeserver, type TestHomeserver, type TestHomeserverOptions } from "../support/homeserver.ts";
import { GENEROUS_ROOM_LIMITS } from "../support/limits.ts";
import { RELAXED_LIMITS, register, type Account } from "../accounts/helpers.ts";
import { makeUser } from "../admin/helpers.ts";

export type { Account } from "../accounts/helpers.ts";

/** Limits high enough that room tests never trip them (the rate-limit tests set their own). */
export const ROOM_TEST_LIMITS = { ...RELAXED_LIMITS, ...GENEROUS_ROOM_LIMITS };

/** homeserver.yaml keys of a rooms test homeserver: open registration, ROOM_TEST_LIMITS. */
export const ROOMS_TEST_CONFIG = { enable_registration: true, enable_registration_without_verification: true, ...ROOM_TEST_LIMITS };

export function startRoomsHomeserver(opts: TestHomeserverOptions = {}): Promise<TestHomeserver> {
  return startTestHomeserver({ ...opts, config: { ...ROOMS_TEST_CONFIG, ...opts.config } });
}

export async function registerUsers(t: TestHomeserver, ...names: string[]): Promise<Account[]> {
  const out: Account[] = [];
  for (const name of names) out.push(await register(t, name));
  return out;
}

/** A server admin (made through the accounts services, as the admin tests do), as an Account. */
export async function registerAdmin(t: TestHomeserver, localpart = "root"): Promise<Account> {
  const a = await makeUser(t, localpart, { admin: true });
  return { userId: a.userId, accessToken: a.token, deviceId: a.deviceId };
}

/** A client bound to one account: JSON in and out, path relative to /_matrix/client. */
export function clientFor(t: TestHomeserver, account: Account) {
  return (method: string, path: string, body?: unknown) =>
    t.request(method, path.startsWith("/_matrix") ? path : `/_matrix/client/v3${path}`, { token: account.accessToken, body });
}

export type Client = ReturnType<typeof clientFor>;

export const enc = encodeURIComponent;

/** `/rooms/{roomId}`, the start of a room's client API paths. */
export const roomPath = (roomId: string) => `/rooms/${enc(roomId)}`;

let txnSeq = 0;
export function txn(): string {
  return `txn${++txnSeq}`;
}

/** Expects `status` (the body shows in the failure) and, when given, `errcode`. */
export function expectStatus(res: { status: number; body: any }, status: number, errcode?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  if (errcode) expect(res.body.errcode).toBe(errcode);
}

/** POST /createRoom as `client`, expecting a 200; the new room's id. */
export async function createRoomAs(client: Client, body: Record<string, unknown> = {}): Promise<string> {
  const res = await client("POST", "/createRoom", body);
  expectStatus(res, 200);
  return res.body.room_id;
}

/** A public room `owner` created and `others` joined; its id. */
export async function publicRoomWith(t: TestHomeserver, owner: Account, ...others: Account[]): Promise<string> {
  const roomId = await createRoomAs(clientFor(t, owner), { preset: "public_chat" });
  for (const other of others) await clientFor(t, other)("POST", `${roomPath(roomId)}/join`, {});
  return roomId;
}
