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

/** How often expired UIA sessions are deleted (Synapse's interval). */
const UIA_EXPIRY_INTERVAL_MS = 5 * 60 * 1000;

export interface AccountStores {
  refreshTokens: RefreshTokensStore;
  uiAuthSessions: UiAuthSessionsStore;
  registrationTokens: RegistrationTokensStore;
  accountData: AccountDataStore;
  profileFields: ProfileFieldsStore;
  ratelimitOverrides: RatelimitOverridesStore;
}

export function createAccountStores(database: Database): AccountStores {
  return {
    refreshTokens: new RefreshTokensStore(database),
    uiAuthSessions: new UiAuthSessionsStore(database),
    registrationTokens: new RegistrationTokensStore(database),
    accountData: new AccountDataStore(database),
    profileFields: new ProfileFieldsStore(database),
    ratelimitOverrides: new RatelimitOverridesStore(database),
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

export function createAccountServices(deps: AccountServiceDeps): { accounts: AccountServices; stop: () => void } {
  const { config, clock, stores, ratelimiters } = deps;
  const serverName = config.server_name;
  const log = getLogger(["hearth", "accounts"]);
  const policy = registrationPolicy(config);
  if (policy.misconfigured) log.warn(policy.misconfigured);

  const passwords = new PasswordAuthenticator(stores.users);
  const setData = async (sessionId: string, values: Record<string, unknown>) => void (await stores.uiAuthSessions.setData(sessionId, values));
  const uia = new UserInteractiveAuth(clock, stores.uiAuthSessions, {
    [LOGIN_DUMMY]: dummyStage,
    [LOGIN_PASSWORD]: passwordStage(serverName, passwords),
    [LOGIN_REGISTRATION_TOKEN]: registrationTokenStage(clock, stores.registrationTokens, setData),
  });
  const sessions = new SessionService(clock, stores.devices, deps.accessTokens, stores.refreshTokens);
  const registration = new RegistrationService(serverName, clock, stores.users, ratelimiters.registration);
  const devices = new DeviceService(stores.devices, stores.accessTokens);
  const reauth = new Reauthenticator(uia, stores.users, ratelimiters.loginFailedAttempts);
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
    }),
    login: new LoginService(
      serverName,
      passwords,
      { address: ratelimiters.loginAddress, account: ratelimiters.loginAccount, failedAttempts: ratelimiters.loginFailedAttempts },
      sessions,
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
    }),
    profile: new ProfileService(serverName, stores.users, stores.profileFields),
    accountData: new AccountDataService(stores.accountData),
    sharedSecret: new SharedSecretRegistration({
      serverName,
      secret: loadRegistrationSharedSecret(config),
      clock,
      logging: deps.logging,
      registration,
      sessions,
    }),
  };
  const expiry = clock.loopingCall(UIA_EXPIRY_INTERVAL_MS, () => {
    void deps.background.run("expire_old_uia_sessions", () => uia.expireOldSessions());
  }, { name: "expire_old_uia_sessions" });
  return { accounts, stop: () => expiry.stop() };
}
