import { join } from "node:path";
import { parseConfig } from "../../src/config/load.ts";
import { createHomeserver, type Homeserver } from "../../src/homeserver.ts";
import type { DatabaseSection } from "./databases.ts";

const UNLIMITED = { per_second: 1_000_000, burst_count: 1_000_000 };

export interface BenchServer {
  hs: Homeserver;
  baseUrl: string;
  stop(): Promise<void>;
}

/** Serves a request by calling `next` (the homeserver), e.g. to time it from outside. */
export type AroundRequest = (req: Request, next: () => Promise<Response>) => Promise<Response>;

/**
 * A homeserver in this process, served on an ephemeral port, with the rate limits out of
 * the way; `around`, when given, wraps every request.
 */
export async function startBenchServer(label: string, database: DatabaseSection, dir: string, around?: AroundRequest): Promise<BenchServer> {
  const { config } = parseConfig(
    {
      server_name: "bench.local",
      database,
      signing_key_path: join(dir, `${label}.signing.key`),
      enable_registration: true,
      enable_registration_without_verification: true,
      log_level: "warning",
      rc_message: UNLIMITED,
      rc_registration: UNLIMITED,
      rc_joins: { local: UNLIMITED, remote: UNLIMITED },
      rc_joins_per_room: UNLIMITED,
      rc_room_creation: UNLIMITED,
      rc_invites: { per_room: UNLIMITED, per_user: UNLIMITED, per_issuer: UNLIMITED },
      // BENCH_IDLE_POLL_US compares the idle poll's window (0 turns it off) with the default.
      ...(process.env.BENCH_IDLE_POLL_US ? { idle_poll_us: Number(process.env.BENCH_IDLE_POLL_US) } : {}),
    },
    join(dir, "homeserver.yaml"),
  );
  const hs = createHomeserver(config, { listen: false });
  await hs.start();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 255,
    fetch: around ? (req, srv) => around(req, () => hs.fetch(req, srv)) : (req, srv) => hs.fetch(req, srv),
  });
  return {
    hs,
    baseUrl: `http://127.0.0.1:${server.port}`,
    async stop() {
      server.stop(true);
      await hs.stop();
    },
  };
}

/**
 * Writes to `path` a wrk script sending messages into `roomId` from `tokens` in turn, with
 * transaction ids no earlier script (of any process) used: write it again for each wrk run.
 */
export async function writeSendScript(path: string, roomId: string, tokens: string[]): Promise<void> {
  const run = `${process.pid}-${crypto.randomUUID().slice(0, 13)}`;
  await Bun.write(
    path,
    `local tokens = { ${tokens.map((t) => JSON.stringify(t)).join(", ")} }
local path = ${JSON.stringify(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/`)}
local run = ${JSON.stringify(run)}
local counter = 0
function request()
  counter = counter + 1
  local headers = { ["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1], ["Content-Type"] = "application/json" }
  return wrk.format("PUT", path .. run .. "-" .. counter, headers, '{"msgtype":"m.text","body":"message ' .. counter .. '"}')
end
`,
  );
}

/** A Client-Server API call; anything but 200 (or the 401 of a UIA step) throws. */
export async function request(baseUrl: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<Record<string, any>> {
  const res = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, any>;
  if (res.status !== 200 && res.status !== 401) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Registers `username` through the dummy UIA flow. */
export async function registerUser(baseUrl: string, username: string): Promise<{ userId: string; token: string }> {
  const first = await request(baseUrl, "POST", "/register", undefined, { username, password: "bench password" });
  const done = await request(baseUrl, "POST", "/register", undefined, {
    username,
    password: "bench password",
    auth: { type: "m.login.dummy", session: first.session },
  });
  return { userId: done.user_id, token: done.access_token };
}

/** `count` users registered as sender0, sender1, …, all joined to one public room sender0 created. */
export async function roomOfSenders(baseUrl: string, count: number): Promise<{ roomId: string; tokens: string[] }> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push((await registerUser(baseUrl, `sender${i}`)).token);
  const roomId = (await request(baseUrl, "POST", "/createRoom", tokens[0]!, { preset: "public_chat", name: "bench" })).room_id as string;
  for (const token of tokens.slice(1)) await request(baseUrl, "POST", `/rooms/${encodeURIComponent(roomId)}/join`, token, {});
  return { roomId, tokens };
}
