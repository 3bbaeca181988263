import { createHomeserver, type Homeserver } from "../../src/homeserver.ts";
import { jsonRequester, prepareTestHomeserver, serveTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { ROOMS_TEST_CONFIG } from "../rooms/helpers.ts";

export interface RestartableHomeserver extends TestHomeserver {
  /** Stops the homeserver and starts a new one on the same database and signing key. */
  restart(): Promise<void>;
}

/** A test homeserver whose database outlives it, for restart tests (SQLite file or a PostgreSQL schema). */
export async function startRestartableHomeserver(): Promise<RestartableHomeserver> {
  const { dir, config, cleanup } = await prepareTestHomeserver({ config: ROOMS_TEST_CONFIG });

  let hs!: Homeserver;
  let server!: ReturnType<typeof Bun.serve>;
  const boot = async () => {
    hs = createHomeserver(config, { listen: false });
    await hs.start();
    server = serveTestHomeserver(hs);
  };
  const shutdown = async () => {
    await server.stop(true);
    await hs.stop();
  };
  await boot();

  const self: RestartableHomeserver = {
    get hs() {
      return hs;
    },
    get baseUrl() {
      return `http://127.0.0.1:${server.port}`;
    },
    dir,
    request: jsonRequester(() => self.baseUrl),
    async restart() {
      await shutdown();
      await boot();
    },
    async stop() {
      await shutdown();
      await cleanup();
    },
  };
  return self;
}
