import { getLogger } from "@logtape/logtape";
import pkg from "../../package.json" with { type: "json" };
import type { HomeserverConfig } from "../config/load.ts";
import type { Clock } from "../observability/clock.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import type { DevicesStore } from "../storage/stores/devices.ts";
import type { AccountServices } from "../accounts/account-services.ts";
import type { HomeserverMetrics } from "../observability/metrics/homeserver-metrics.ts";
import { masSettings, type MasSettings } from "./config.ts";
import { IntrospectionClient, type IntrospectionResult } from "./introspection.ts";
import { ResponseCache } from "./introspection-cache.ts";
import { MasMetadata } from "./metadata.ts";
import { MasTokenResolver } from "./token-resolver.ts";
import { MasAccounts, type MasAccountsDeps, type MasE2eePort } from "./accounts.ts";
import { introspectionResponseSeconds } from "./metrics.ts";

/** Synapse keeps introspection answers this long. */
export const INTROSPECTION_CACHE_TTL_MS = 2 * 60 * 1000;
/** Bounds memory under a flood of distinct tokens; each entry is a few hundred bytes. */
export const INTROSPECTION_CACHE_MAX_ENTRIES = 50_000;
export const INTROSPECTION_CACHE_NAME = "mas_token_introspection";

export interface MasServices {
  settings: MasSettings;
  tokenResolver: MasTokenResolver;
  introspectionCache: ResponseCache<IntrospectionResult>;
  metadata: MasMetadata;
  accounts: MasAccounts;
}

export interface MasServiceDeps {
  config: HomeserverConfig;
  clock: Clock;
  users: UsersStore;
  devices: DevicesStore;
  /** Device deletion, deactivation and profile changes go through these, so their listeners fire. */
  accounts: Pick<AccountServices, "devices" | "profile">;
  userAdmin: MasAccountsDeps["userAdmin"];
  /** The e2ee concern, once it exists (cross-signing reset, device-list updates). */
  e2ee?: MasE2eePort;
  /** Where the introspection cache reports (unregistered by the homeserver at stop). */
  metrics: Pick<HomeserverMetrics, "registerCache">;
}

const log = () => getLogger(["hearth", "mas"]);

/** Everything delegated auth needs, or undefined when `matrix_authentication_service` is off. */
export function createMasServices(deps: MasServiceDeps): MasServices | undefined {
  const settings = masSettings(deps.config);
  if (!settings) return undefined;
  const serverName = deps.config.server_name;
  const { clock } = deps;
  const userAgent = `Hearth/${pkg.version}`;
  if (settings.forceHttp2 && !settings.endpoint.startsWith("https:")) {
    log().warn("force_http2 is set but Bun cannot speak HTTP/2 without TLS: talking HTTP/1.1 to {endpoint}", { endpoint: settings.endpoint });
  }
  const client = new IntrospectionClient({
    settings,
    clock,
    userAgent,
    onResponse: (code, seconds) => introspectionResponseSeconds.observe({ code, server_name: serverName }, seconds),
  });
  const introspectionCache = new ResponseCache<IntrospectionResult>(clock, {
    ttlMs: INTROSPECTION_CACHE_TTL_MS,
    maxEntries: INTROSPECTION_CACHE_MAX_ENTRIES,
  });
  const counts = { hits: 0, misses: 0 };
  deps.metrics.registerCache(
    INTROSPECTION_CACHE_NAME,
    () => ({ size: introspectionCache.size, hits: counts.hits, misses: counts.misses, maxSize: INTROSPECTION_CACHE_MAX_ENTRIES }),
    { type: "response_cache" },
  );
  const tokenResolver = new MasTokenResolver({
    serverName,
    clock,
    cache: introspectionCache,
    introspect: (token) => client.introspect(token),
    userExists: async (userId) => (await deps.users.get(userId)) !== undefined,
    deviceExists: async (userId, deviceId) => (await deps.devices.get(userId, deviceId)) !== undefined,
    onLookup: (outcome) => {
      // A shared in-flight lookup did not call MAS itself: Synapse's response cache counts it as a hit.
      if (outcome === "miss") counts.misses++;
      else counts.hits++;
    },
  });
  const accounts = new MasAccounts({
    serverName,
    clock,
    users: deps.users,
    devices: deps.devices,
    deviceService: deps.accounts.devices,
    userAdmin: deps.userAdmin,
    profile: deps.accounts.profile,
    e2ee: deps.e2ee,
  });
  return {
    settings,
    tokenResolver,
    introspectionCache,
    metadata: new MasMetadata({ settings, clock, userAgent }),
    accounts,
  };
}
