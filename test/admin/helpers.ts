import { startTestHomeserver, type TestHomeserver, type TestHomeserverOptions } from "../support/homeserver.ts";
import { GENEROUS_ROOM_LIMITS } from "../support/limits.ts";

/** Tests create many rooms, events and reports quickly; rate limits are tested elsewhere. */
export const GENEROUS_LIMITS = {
  ...GENEROUS_ROOM_LIMITS,
  rc_reports: { per_second: 10000, burst_count: 10000 },
};

export interface AdminFixture {
  t: TestHomeserver;
  serverName: string;
  admin: { userId: string; token: string; deviceId: string };
  user: { userId: string; token: string; deviceId: string };
}

/** A local user with a device and an access token, created through the accounts services. */
export async function makeUser(t: TestHomeserver, localpart: string, opts: { admin?: boolean; displayName?: string } = {}) {
  const { accounts } = t.hs.services;
  const userId = await accounts.registration.register({ localpart, passwordHash: null, admin: opts.admin ?? false, displayName: opts.displayName });
  const session = await accounts.sessions.create(userId, { ip: "10.0.0.1", userAgent: "test-agent/1.0" });
  return { userId, token: session.accessToken, deviceId: session.deviceId };
}

/** A homeserver with one admin (`@admin`) and one ordinary user (`@alice`). */
export async function startAdminFixture(opts: TestHomeserverOptions = {}): Promise<AdminFixture> {
  const t = await startTestHomeserver(opts);
  const admin = await makeUser(t, "admin", { admin: true });
  const user = await makeUser(t, "alice", { displayName: "Alice" });
  return { t, serverName: t.hs.serverName, admin, user };
}

/** Asserts the non-admin refusal and the missing-token answer of one endpoint. */
export async function expectAdminOnly(f: AdminFixture, method: string, path: string, body?: unknown): Promise<void> {
  const asUser = await f.t.request(method, path, { token: f.user.token, body });
  if (asUser.status !== 403 || asUser.body?.errcode !== "M_FORBIDDEN" || asUser.body?.error !== "You are not a server admin") {
    throw new Error(`${method} ${path} as a non-admin answered ${asUser.status} ${JSON.stringify(asUser.body)}`);
  }
  const anonymous = await f.t.request(method, path, { body });
  if (anonymous.status !== 401 || anonymous.body?.errcode !== "M_MISSING_TOKEN") {
    throw new Error(`${method} ${path} without a token answered ${anonymous.status} ${JSON.stringify(anonymous.body)}`);
  }
}
