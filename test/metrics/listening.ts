import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../src/config/load.ts";
import { createHomeserver, type Homeserver, type ListenerHub } from "../../src/homeserver.ts";

/** A port that was free a moment ago (listeners in the config cannot ask for port 0). */
/** Ports handed out in this test process: the kernel may offer a just-closed probe's port again. */
const handedOut = new Set<number>();

/** A free port, never one this process was handed before (two calls must not collide). */
export function freePort(): number {
  for (;;) {
    const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const port = probe.port!;
    probe.stop(true);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** A homeserver on SQLite that opens the listeners of its config, as `hearth --config` does. */
export async function startListening(opts: {
  serverName: string;
  config: Record<string, unknown>;
  listenerHub?: ListenerHub;
}): Promise<{ hs: Homeserver; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-listen-"));
  const { config } = parseConfig(
    {
      server_name: opts.serverName,
      database: { name: "sqlite3", args: { database: join(dir, "homeserver.db") } },
      signing_key_path: join(dir, "signing.key"),
      ...opts.config,
    },
    join(dir, "homeserver.yaml"),
  );
  const hs = createHomeserver(config, { listenerHub: opts.listenerHub, shutdownGraceMs: 100 });
  await hs.start();
  return {
    hs,
    async stop() {
      await hs.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when nothing answers on the port any more. */
export async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
}
