import type { HomeserverConfig } from "./config/load.ts";
import type { Clock } from "./observability/clock.ts";
import type { BackgroundProcesses } from "./observability/background.ts";
import type { LoggingSetup } from "./observability/logging.ts";
import type { Database } from "./storage/database.ts";
import type { SigningKey } from "./matrix/signing.ts";
import type { HomeserverMetrics } from "./observability/metrics/homeserver-metrics.ts";
import { UsersStore } from "./storage/stores/users.ts";
import { DevicesStore } from "./storage/stores/devices.ts";
import { AccessTokensStore } from "./storage/stores/access-tokens.ts";
import { AccessTokenService } from "./auth/access-tokens.ts";
import { localTokenResolver, type TokenResolver } from "./auth/token-resolver.ts";
import { createMasServices, type MasServices } from "./mas/services.ts";
import { createRateLimiters, type RateLimiters } from "./ratelimit/limiters.ts";
import type { RatelimitOverrides } from "./accounts/ratelimit-overrides.ts";
import {
  createAccountServices,
  createAccountStores,
  loadRatelimitOverrides,
  type AccountServices,
  type AccountStores,
} from "./accounts/account-services.ts";
import { createE2ee, type E2ee } from "./e2ee/e2ee.ts";
import { createAdminServices, type AdminServices } from "./admin/services.ts";
import { createAdminRoomServices, type AdminRoomServices } from "./admin/room-services.ts";
import { AutoJoin, roomServiceOps } from "./accounts/auto-join.ts";
import { Notifier } from "./notifier/notifier.ts";
import { RoomService } from "./rooms/service.ts";
import { gatherBehind } from "./rooms/event-writer.ts";
import type { TurnGate } from "./http/turn-gate.ts";
import { createDirectoryServices, type DirectoryServices } from "./rooms/directory-services.ts";
import { createSyncServices, type SyncServices } from "./sync/services.ts";
import { e2eeSyncExtension } from "./e2ee/sync-extension.ts";
import { countRateLimitRejections, watchFeatures } from "./observability/metrics/feature-hooks.ts";

/** Everything the API layer may call, built once per homeserver and passed explicitly. */
export interface Services {
  serverName: string;
  config: HomeserverConfig;
  clock: Clock;
  database: Database;
  background: BackgroundProcesses;
  logging: LoggingSetup;
  signingKey: SigningKey;
  /** Per-homeserver metric registrations (LaterGauge hooks, caches); released at stop. */
  metrics: HomeserverMetrics;
  stores: {
    users: UsersStore;
    devices: DevicesStore;
    accessTokens: AccessTokensStore;
  } & AccountStores;
  accessTokens: AccessTokenService;
  /** One limiter per kind of action, in memory, driven by the clock. */
  ratelimiters: RateLimiters;
  /** The ratelimit_override table in memory; the admin API calls refresh(userId) after writing it. */
  ratelimitOverrides: RatelimitOverrides;
  /** Registration, login, UIA, devices, profiles, account data, shared-secret registration. */
  accounts: AccountServices;
  /** Resolves every client/admin bearer token: MAS introspection when delegation is on, local tokens otherwise. */
  tokenResolver: TokenResolver;
  /** True when `matrix_authentication_service.enabled`: password login, registration etc. are MAS's job. */
  masEnabled: boolean;
  /** Delegated-auth services; undefined when delegation is off. */
  mas: MasServices | undefined;
  /** End-to-end encryption: device keys, cross-signing, to-device messages, key backup. */
  e2ee: E2ee;
  /** The admin API's logic (src/admin/). */
  admin: AdminServices;
  /** The admin API's room logic: listing, deletion and purges, history purges, reports (src/admin/). */
  adminRooms: AdminRoomServices;
  /** Wakes long-polling /sync requests after events commit. */
  notifier: Notifier;
  /** Rooms and events: creation, membership, sending, history (src/rooms/). */
  rooms: RoomService;
  /** Room aliases, the published room list and room upgrades (src/rooms/). */
  directory: DirectoryServices;
  /** /sync, filters, push rules, typing, receipts, presence, notifications (src/sync/, src/push/, src/ephemeral/). */
  sync: SyncServices;
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
  metrics: HomeserverMetrics;
  /** Holds the requests of each event-loop turn; the write queue waits behind it. */
  turnGate?: TurnGate;
}

export async function createServices(deps: ServiceDeps): Promise<Services> {
  const stores = {
    users: new UsersStore(deps.database),
    devices: new DevicesStore(deps.database),
    accessTokens: new AccessTokensStore(deps.database),
    ...createAccountStores(deps.database),
  };
  const onStop: Services["onStop"] = [];
  const accessTokens = new AccessTokenService(deps.clock, stores.accessTokens);
  deps.metrics.registerCache("access_tokens", () => accessTokens.cache.stats(), { type: "lru_cache" });
  const ratelimitOverrides = await loadRatelimitOverrides(stores);
  const ratelimiters = createRateLimiters(deps.config.ratelimits, deps.clock, (userId) => ratelimitOverrides.get(userId), {
    onReject: countRateLimitRejections(deps.config.server_name),
  });
  onStop.push(() => ratelimiters.stopAll());
  const { accounts, stop: stopAccounts } = createAccountServices({ ...deps, stores, accessTokens, ratelimiters });
  onStop.push(stopAccounts);
  const e2ee = createE2ee({
    serverName: deps.config.server_name,
    database: deps.database,
    clock: deps.clock,
    background: deps.background,
    devices: stores.devices,
    // `sync` is built further down; e2ee only wakes /sync once requests are served.
    waker: { wakeUsers: (stream, position, users) => sync.streams.changed(stream, position, { users }) },
  });
  onStop.push(accounts.devices.onDevicesDeleted.add((e) => e2ee.onDevicesDeleted(e.userId, e.deviceIds)));
  onStop.push(accounts.management.onUserDeactivated.add((e) => e2ee.onUserDeactivated(e.userId)));
  const admin = createAdminServices({ ...deps, serverName: deps.config.server_name, users: stores.users, ratelimitOverridesStore: stores.ratelimitOverrides, accounts, accessTokens, ratelimitOverrides });
  const mas = createMasServices({
    config: deps.config,
    clock: deps.clock,
    users: stores.users,
    devices: stores.devices,
    accounts,
    userAdmin: admin.users,
    metrics: deps.metrics,
    e2ee: {
      allowCrossSigningReset: (userId, untilMs) => e2ee.crossSigning.allowReset(userId, untilMs),
      onDeviceCreated: (userId, deviceId) => e2ee.onDeviceCreated(userId, deviceId),
    },
  });
  const notifier = new Notifier(deps.clock);
  const rooms = new RoomService({
    serverName: deps.config.server_name,
    clock: deps.clock,
    signingKey: deps.signingKey,
    database: deps.database,
    users: stores.users,
    limiters: ratelimiters,
    notifier,
    defaultRoomVersion: deps.config.default_room_version,
    gather: deps.turnGate ? gatherBehind(deps.turnGate) : undefined,
  });
  onStop.push(() => rooms.stop());
  const directory = createDirectoryServices({ ...deps, serverName: deps.config.server_name, rooms, accountData: accounts.accountData });
  rooms.aliases = directory.aliases;
  // Client and admin deactivation with erase set the same flag the admin API reports.
  accounts.management.markErased = (userId) => admin.stores.adminUsers.markErased(userId, deps.clock.now());
  const autoJoin = new AutoJoin(accounts.settings.autoJoin, deps.config.server_name, roomServiceOps(rooms), () => stores.activity.countRealUsers());
  onStop.push(accounts.registration.onUserRegistered.add((e) => autoJoin.onUserRegistered(e)));
  const adminRooms = createAdminRoomServices({ ...deps, serverName: deps.config.server_name, rooms, ratelimiters });
  onStop.push(
    accounts.profile.onProfileChanged.add((e) =>
      e.field === "displayname" || e.field === "avatar_url" ? rooms.updateProfileInRooms(e.userId) : undefined,
    ),
  );
  const sync = await createSyncServices({ serverName: deps.config.server_name, clock: deps.clock, database: deps.database, notifier, rooms });
  onStop.push(() => sync.stop());
  onStop.push(sync.pushRetention.start(deps.background));
  onStop.push(accounts.accountData.onAccountDataChanged.add((e) => sync.streams.changed("account_data", e.streamId, { users: [e.userId] })));
  sync.registerExtension(e2eeSyncExtension(e2ee));
  onStop.push(
    watchFeatures({
      serverName: deps.config.server_name,
      metrics: deps.metrics,
      clock: deps.clock,
      background: deps.background,
      userRegistered: accounts.registration.onUserRegistered,
      sessionCreated: accounts.sessions.onSessionCreated,
      notifier,
      persisted: rooms.writer,
      forwardExtremityCounts: () => rooms.stores.rooms.forwardExtremityCounts(),
      caches: {
        room_heads: () => rooms.heads.cacheStats(),
        history_visibility_facts: () => rooms.visibility.cacheStats(),
        // Synapse's name for the same cache (token → user).
        get_user_by_access_token: () => accessTokens.cache.stats(),
      },
    }),
  );
  return {
    ...deps,
    serverName: deps.config.server_name,
    stores,
    accessTokens,
    ratelimiters,
    ratelimitOverrides,
    accounts,
    tokenResolver: mas?.tokenResolver ?? localTokenResolver(accessTokens),
    masEnabled: mas !== undefined,
    mas,
    e2ee,
    admin,
    adminRooms,
    notifier,
    rooms,
    directory,
    sync,
    onStop,
  };
}
