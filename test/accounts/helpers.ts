import { createHmac } from "node:crypto";
import { startTestHomeserver, type TestHomeserver, type TestHomeserverOptions } from "../support/homeserver.ts";
import type { FakeClock } from "../../src/observability/clock.ts";

/** Rate limits high enough that tests registering and logging in many users never trip them. */
export const RELAXED_LIMITS = {
  rc_registration: { per_second: 1000, burst_count: 1000 },
  rc_login: {
    address: { per_second: 1000, burst_count: 1000 },
    account: { per_second: 1000, burst_count: 1000 },
    failed_attempts: { per_second: 1000, burst_count: 1000 },
  },
};

/** A homeserver with open registration (m.login.dummy) and relaxed limits, unless overridden. */
export function startAccountsHomeserver(opts: TestHomeserverOptions = {}): Promise<TestHomeserver> {
  return startTestHomeserver({
    ...opts,
    config: { enable_registration: true, enable_registration_without_verification: true, ...RELAXED_LIMITS, ...opts.config },
  });
}

export interface Account {
  userId: string;
  accessToken: string;
  deviceId: string;
}

/** Registers through UIA: the 401 challenge, then m.login.dummy with the session. */
export async function register(t: TestHomeserver, username: string, password = "correct horse", extra: Record<string, unknown> = {}): Promise<Account> {
  const first = await t.request("POST", "/_matrix/client/v3/register", { body: { username, password, ...extra } });
  if (first.status !== 401) throw new Error(`expected a UIA challenge, got ${first.status} ${JSON.stringify(first.body)}`);
  const done = await t.request("POST", "/_matrix/client/v3/register", {
    body: { username, password, ...extra, auth: { type: "m.login.dummy", session: first.body.session } },
  });
  if (done.status !== 200) throw new Error(`registration failed: ${done.status} ${JSON.stringify(done.body)}`);
  return { userId: done.body.user_id, accessToken: done.body.access_token, deviceId: done.body.device_id };
}

export async function login(t: TestHomeserver, user: string, password = "correct horse", extra: Record<string, unknown> = {}) {
  return t.request("POST", "/_matrix/client/v3/login", {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password, ...extra },
  });
}

/** Synapse's MAC, computed independently of the server code. */
export function sharedSecretMac(secret: string, parts: string[]): string {
  return createHmac("sha1", secret).update(parts.join("\0")).digest("hex");
}

/**
 * Runs a request whose answer may be a 429: the server waits 500 ms on its
 * (fake) clock before sending one, so when a new timer appears while the
 * request is in flight, move the clock past it. Returns how much fake time passed.
 */
export async function settle<T>(clock: FakeClock, send: () => Promise<T>): Promise<{ result: T; advancedMs: number }> {
  const baseline = clock.timers.pending;
  let done = false;
  const tracked = send().then((r) => {
    done = true;
    return r;
  });
  let advancedMs = 0;
  for (let i = 0; i < 2000 && !done; i++) {
    await Promise.race([tracked, Bun.sleep(2)]);
    if (!done && clock.timers.pending > baseline) {
      await clock.advance(500);
      advancedMs += 500;
    }
  }
  return { result: await tracked, advancedMs };
}

/** Creates a user through shared-secret registration, which no rate limit applies to. */
export async function adminRegister(t: TestHomeserver, username: string, password = "correct horse", secret = "test-shared-secret"): Promise<Account> {
  const { nonce } = (await t.request("GET", "/_synapse/admin/v1/register")).body;
  const mac = sharedSecretMac(secret, [nonce, username, password, "notadmin"]);
  const r = await t.request("POST", "/_synapse/admin/v1/register", { body: { nonce, username, password, mac, admin: false } });
  if (r.status !== 200) throw new Error(`admin registration failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { userId: r.body.user_id, accessToken: r.body.access_token, deviceId: r.body.device_id };
}

/**
 * A request as if from `ip`, straight into the homeserver's fetch (the test
 * listener always sees 127.0.0.1). With `forwardedFor`, the listener trusts
 * X-Forwarded-For, as `x_forwarded: true` does.
 */
export async function fromIp(
  t: TestHomeserver,
  ip: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; forwardedFor?: string; trustForwarded?: boolean } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.forwardedFor) headers["x-forwarded-for"] = opts.forwardedFor;
  const res = await t.hs.fetch(
    new Request(`http://localhost${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    }),
    undefined,
    { remoteAddress: ip, xForwarded: opts.trustForwarded ?? false },
  );
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
