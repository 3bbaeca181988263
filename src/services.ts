import type { HomeserverConfig } from "./config/load.ts";
import type { Clock } from "./observability/clock.ts";
import type { BackgroundProcesses } from "./observability/background.ts";
import type { LoggingSetup } from "./observability/logging.ts";
import type { Database } from "./storage/database.ts";
import type { SigningKey } from "./matrix/signing.ts";
import { UsersStore } from "./storage/stores/users.ts";
import { DevicesStore } from "./storage/stores/devices.ts";
import { AccessTokensStore } from "./storage/stores/access-tokens.ts";
import { AccessTokenService } from "./auth/access-tokens.ts";

/** Everything the API layer may call, built once per homeserver and passed explicitly. */
export interface Services {
  serverName: string;
  config: HomeserverConfig;
  clock: Clock;
  database: Database;
  background: BackgroundProcesses;
  logging: LoggingSetup;
  signingKey: SigningKey;
  stores: {
    users: UsersStore;
    devices: DevicesStore;
    accessTokens: AccessTokensStore;
  };
  accessTokens: AccessTokenService;
  /** Called by stop(): services register their own clean-up here. */
  onStop: Array<() => void | Promise<void>>;
}

export interface ServiceDeps {
  config: HomeserverConfig;
  clock: Clock;
  database: Database;
  background: BackgroundProcesses;
  logging: LoggingSetup;
  signingKey: SigningKey;
}

export async function createServices(deps: ServiceDeps): Promise<Services> {
  const stores = {
    users: new UsersStore(deps.database),
    devices: new DevicesStore(deps.database),
    accessTokens: new AccessTokensStore(deps.database),
  };
  return {
    ...deps,
    serverName: deps.config.server_name,
    stores,
    accessTokens: new AccessTokenService(deps.clock, stores.accessTokens),
    onStop: [],
  };
}
