import { startTestHomeserver, type TestHomeserver, type TestHomeserverOptions } from "../support/homeserver.ts";
import { RELAXED_LIMITS, register, type Account } from "../accounts/helpers.ts";
import type { Logger } from "matrix-js-sdk/lib/logger";

export type { Account } from "../accounts/helpers.ts";

/** Limits high enough that room tests never trip them (the rate-limit tests set their own). */
export const ROOM_TEST_LIMITS = {
  ...RELAXED_LIMITS,
  rc_message: { per_second: 10000, burst_count: 10000 },
  rc_room_creation: { per_second: 10000, burst_count: 10000 },
  rc_joins: { local: { per_second: 10000, burst_count: 10000 }, remote: { per_second: 10000, burst_count: 10000 } },
  rc_joins_per_room: { per_second: 10000, burst_count: 10000 },
  rc_invites: {
    per_room: { per_second: 10000, burst_count: 10000 },
    per_user: { per_second: 10000, burst_count: 10000 },
    per_issuer: { per_second: 10000, burst_count: 10000 },
  },
};

export function startRoomsHomeserver(opts: TestHomeserverOptions = {}): Promise<TestHomeserver> {
  return startTestHomeserver({
    ...opts,
    config: { enable_registration: true, enable_registration_without_verification: true, ...ROOM_TEST_LIMITS, ...opts.config },
  });
}

export async function registerUsers(t: TestHomeserver, ...names: string[]): Promise<Account[]> {
  const out: Account[] = [];
  for (const name of names) out.push(await register(t, name));
  return out;
}

/** A client bound to one account: JSON in and out, path relative to /_matrix/client. */
export function clientFor(t: TestHomeserver, account: Account) {
  return (method: string, path: string, body?: unknown) =>
    t.request(method, path.startsWith("/_matrix") ? path : `/_matrix/client/v3${path}`, { token: account.accessToken, body });
}

export const enc = encodeURIComponent;

let txnSeq = 0;
export function txn(): string {
  return `txn${++txnSeq}`;
}

/** A matrix-js-sdk logger that drops everything (the SDK logs every request). */
export const silentSdkLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild: () => silentSdkLogger,
};
