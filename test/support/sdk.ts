import * as sdk from "matrix-js-sdk";
import { logger as sdkLogger, type Logger } from "matrix-js-sdk/lib/logger";

/** A matrix-js-sdk logger that drops everything (the SDK logs every request). */
export const silentSdkLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild: () => silentSdkLogger,
};

/** The account a matrix-js-sdk client logs in as. */
export interface SdkAccount {
  userId: string;
  accessToken: string;
  deviceId: string;
}

/**
 * The matrix-js-sdk clients of one test file: they log nothing but errors, which are kept
 * (to show when a test fails), and stopAll() stops every one of them.
 */
export class SdkClients {
  readonly errors: string[] = [];
  readonly logger: Logger = {
    trace() {},
    debug() {},
    info() {},
    warn() {},
    error: (...msg: unknown[]) => void this.errors.push(msg.map(String).join(" ")),
    getChild: () => this.logger,
  };
  readonly #clients: sdk.MatrixClient[] = [];

  /** `wait`: how long waitFor waits at most, and how often it looks. */
  constructor(private readonly wait: { timeoutMs: number; pollMs: number } = { timeoutMs: 15_000, pollMs: 20 }) {}

  /** A client of the homeserver at `baseUrl`, not started. */
  create(baseUrl: string, account: SdkAccount): sdk.MatrixClient {
    const client = sdk.createClient({ baseUrl, userId: account.userId, accessToken: account.accessToken, deviceId: account.deviceId, logger: this.logger });
    this.#clients.push(client);
    return client;
  }

  stopAll(): void {
    for (const c of this.#clients) c.stopClient();
  }

  /**
   * The SDK's own queues and child loggers (e.g. MatrixRTCSession's) log through its root
   * logger, copying its methodFactory when created: send its errors here, drop the rest.
   */
  captureRootLogger(): void {
    const root = sdkLogger as unknown as { methodFactory: (name: string) => (...msg: unknown[]) => void; rebuild(): void };
    root.methodFactory = (name) => (name === "error" ? this.logger.error : () => {});
    root.rebuild();
  }

  /** Polls `fn` until it answers something truthy; on timeout the error names `what` and the last SDK errors. */
  readonly waitFor = async <T>(what: string, fn: () => T | undefined | false | null | Promise<T | undefined | false | null>): Promise<T> => {
    const deadline = performance.now() + this.wait.timeoutMs;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; SDK errors: ${this.errors.slice(-5).join(" | ")}`);
      await Bun.sleep(this.wait.pollMs);
    }
  };
}
