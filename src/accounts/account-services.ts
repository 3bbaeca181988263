import { getLogger } from "@logtape/logtape";
import type { HomeserverConfig } from "../config/load.ts";
import type { Clock } from "../observability/clock.ts";
import type { BackgroundProcesses } from "../observability/background.ts";
import type { LoggingSetup } from "../observability/logging.ts";
import type { RateLimiters } from "../ratelimit/limiters.ts";
import type { AccessTokenService } from "../auth/access-tokens.ts";
import type { Database } from "../storage/database.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import type { DevicesStore } from "../storage/stores/devices.ts";
import type { AccessTokensStore } from "../storage/stores/access-tokens.ts";
import { RefreshTokensStore } from "../storage/stores/refresh-tokens.ts";
import { UiAuthSessionsStore } from "../storage/stores/ui-auth-sessions.ts";
import { RegistrationTokensStore } from "../storage/stores/registration-tokens.ts";
import { AccountDataStore } from "../storage/stores/account-data.ts";
import { ProfileFieldsStore } from "../storage/stores/profile-fields.ts";
import { RatelimitOverridesStore } from "../storage/stores/ratelimit-overrides.ts";
import { AccountActivityStore } from "../storage/stores/account-activity.ts";
import { PasswordAuthenticator } from "./password-auth.ts";
import { UserInteractiveAuth } from "./uia.ts";
import { dummyStage, passwordStage, registrationTokenStage, LOGIN_DUMMY, LOGIN_PASSWORD, LOGIN_REGISTRATION_TOKEN } from "./uia-stages.ts";
import { Reauthenticator } from "./reauth.ts";
import { SessionService } from "./sessions.ts";
import { RegistrationService } from "./registration.ts";
import { ClientRegistration, registrationPolicy } from "./client-registration.ts";
import { LoginService } from "./login.ts";
import { DeviceService } from "./devices.ts";
import { AccountManagement } from "./account-management.ts";
import { ProfileService } from "./profile.ts";
import { AccountDataService } from "./account-data.ts";
import { SharedSecretRegistration } from "./admin-registration.ts";
import { loadRegistrationSharedSecret } from "./shared-secret.ts";
import { RatelimitOverrides } from "./ratelimit-overrides.ts";
import { accountSettings, type AccountSettings } from "./account-config.ts";
import { PasswordHasher } from "./passwords.ts";
import { LastSeenTracker, LAST_SEEN_FLUSH_INTERVAL_MS } from "./last-seen.ts";
import { AvailabilityLimiter } from "./availability-limiter.ts";

/** How often expired UIA sessions are deleted (Synapse's interval). */
const UIA_EXPIRY_INTERVAL_MS = 5 * 60 * 1000;

export interface AccountStores {
  refreshTokens: RefreshTokensStore;
  uiAuthSessions: UiAuthSessionsStore;
  registrationTokens: RegistrationTokensStore;
  accountData: AccountDataStore;
  profileFields: ProfileFieldsStore;
  ratelimitOverrides: RatelimitOverridesStore;
  activity: AccountActivityStore;
}

export function createAccountStores(database: Database): AccountStores {
  return {
    refreshTokens: new RefreshTokensStore(database),
    uiAuthSessions: new UiAuthSessionsStore(database),
    registrationTokens: new RegistrationTokensStore(database),
    accountData: new AccountDataStore(database),
    profileFields: new ProfileFieldsStore(database),
    ratelimitOverrides: new RatelimitOverridesStore(database),
    activity: new AccountActivityStore(database),
  };
}

/** The accounts logic of one homeserver; other parts subscribe to its `on...` listener lists. */
export interface AccountServices {
  passwords: PasswordAuthenticator;
  uia: UserInteractiveAuth;
  reauth: Reauthenticator;
  sessions: SessionService;
  registration: RegistrationService;
  clientRegistration: ClientRegistration;
  login: LoginService;
  devices: DeviceService;
  management: AccountManagement;
  profile: ProfileService;
  accountData: AccountDataService;
  sharedSecret: SharedSecretRegistration;
  /** The account keys of homeserver.yaml, checked and with defaults. */
  settings: AccountSettings;
  /** Hashes and checks passwords with `password_config.pepper`; use it for every password. */
  hasher: PasswordHasher;
  /** Devices' last-seen columns; the HTTP layer reports each authenticated request. */
  lastSeen: LastSeenTracker;
}

export interface AccountServiceDeps {
  config: HomeserverConfig;
  clock: Clock;
  logging: LoggingSetup;
  background: BackgroundProcesses;
  stores: AccountStores & { users: UsersStore; devices: DevicesStore; accessTokens: AccessTokensStore };
  accessTokens: AccessTokenService;
  ratelimiters: RateLimiters;
}

/** Rate-limit overrides must exist before the limiters that consult them; load them first. */
export async function loadRatelimitOverrides(stores: AccountStores): Promise<RatelimitOverrides> {
  const overrides = new RatelimitOverrides(stores.ratelimitOverrides);
  await overrides.load();
  return overrides;
}

export function createAccountServices(deps: AccountServiceDeps): { accounts: AccountServices; stop: () => Promise<void> } {
  const { config, clock, stores, ratelimiters } = deps;
  const serverName = config.server_name;
  const log = getLogger(["hearth", "accounts"]);
  const settings = accountSettings(config);
  const policy = registrationPolicy(config);
  if (policy.misconfigured) log.warn(policy.misconfigured);

  const hasher = new PasswordHasher(settings.passwords.pepper);
  const passwordPolicy = settings.passwords.policy;
  const lastSeen = new LastSeenTracker(clock, stores.activity);
  const passwords = new PasswordAuthenticator(stores.users, hasher);
  const setData = async (sessionId: string, values: Record<string, unknown>) => void (await stores.uiAuthSessions.setData(sessionId, values));
  const uia = new UserInteractiveAuth(clock, stores.uiAuthSessions, {
    [LOGIN_DUMMY]: dummyStage,
    [LOGIN_PASSWORD]: passwordStage(serverName, passwords),
    [LOGIN_REGISTRATION_TOKEN]: registrationTokenStage(clock, stores.registrationTokens, setData),
  });
  const sessions = new SessionService(clock, stores.devices, deps.accessTokens, stores.refreshTokens, settings.lifetimes);
  const registration = new RegistrationService(serverName, clock, stores.users, ratelimiters.registration, settings.defaultUserType);
  const devices = new DeviceService(stores.devices, stores.accessTokens, lastSeen);
  const reauth = new Reauthenticator(uia, stores.users, ratelimiters.loginFailedAttempts, clock, stores.activity, {
    passwords: settings.passwords.reauth && settings.passwords.localdb,
    sessionTimeoutMs: settings.uiAuthSessionTimeoutMs,
  });
  const accounts: AccountServices = {
    passwords,
    uia,
    reauth,
    sessions,
    registration,
    clientRegistration: new ClientRegistration({
      serverName,
      clock,
      policy,
      allowGuests: config.allow_guest_access,
      uia,
      registration,
      sessions,
      registrationTokens: stores.registrationTokens,
      limiter: ratelimiters.registration,
      tokenValidityLimiter: ratelimiters.registrationTokenValidity,
      availabilityLimiter: new AvailabilityLimiter(clock),
      hasher,
      passwordPolicy,
      inhibitUserInUseError: settings.inhibitUserInUseError,
      resolveToken: (token) => deps.accessTokens.resolve(token),
    }),
    login: new LoginService(
      serverName,
      passwords,
      { address: ratelimiters.loginAddress, account: ratelimiters.loginAccount, failedAttempts: ratelimiters.loginFailedAttempts },
      sessions,
      settings.passwords,
    ),
    devices,
    management: new AccountManagement({
      uia,
      reauth,
      users: stores.users,
      accessTokens: stores.accessTokens,
      accountData: stores.accountData,
      profileFields: stores.profileFields,
      devices,
      hasher,
      passwordPolicy,
      canChangePassword: settings.passwords.login && settings.passwords.localdb,
    }),
    profile: new ProfileService(serverName, stores.users, stores.profileFields, {
      enableSetDisplayname: settings.enableSetDisplayname,
      enableSetAvatarUrl: settings.enableSetAvatarUrl,
      limitToUsersWhoShareRooms: settings.limitProfileRequestsToUsersWhoShareRooms,
    }),
    accountData: new AccountDataService(stores.accountData),
    sharedSecret: new SharedSecretRegistration({
      serverName,
      secret: loadRegistrationSharedSecret(config),
      clock,
      logging: deps.logging,
      registration,
      sessions,
      hasher,
      userTypes: settings.userTypes,
    }),
    settings,
    hasher,
    lastSeen,
  };
  const expiry = clock.loopingCall(UIA_EXPIRY_INTERVAL_MS, () => {
    void deps.background.run("expire_old_uia_sessions", () => uia.expireOldSessions());
  }, { name: "expire_old_uia_sessions" });
  const lastSeenFlush = clock.loopingCall(LAST_SEEN_FLUSH_INTERVAL_MS, () => {
    void deps.background.run("update_client_ips", () => lastSeen.flush());
  }, { name: "update_client_ips" });
  const stop = async () => {
    expiry.stop();
    lastSeenFlush.stop();
    // What was seen since the last flush is written before the database closes.
    await lastSeen.flush().catch((err: unknown) => log.warn("Could not write devices' last-seen times: {error}", { error: err }));
  };
  return { accounts, stop };
}
