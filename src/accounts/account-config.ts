import { ConfigError, type HomeserverConfig } from "../config/load.ts";
import { isValidLocalpart, isValidRoomAlias, isValidRoomId } from "../matrix/identifiers.ts";
import type { PasswordPolicy } from "./password-policy.ts";

/** Synapse's default `refreshable_access_token_lifetime`. */
export const DEFAULT_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS = 5 * 60 * 1000;

/** How long tokens and sessions last; null = no limit (or, for the first, refresh tokens disabled). */
export interface TokenLifetimes {
  refreshableAccessMs: number | null;
  refreshTokenMs: number | null;
  nonrefreshableAccessMs: number | null;
  sessionMs: number | null;
}

export const DEFAULT_TOKEN_LIFETIMES: TokenLifetimes = {
  refreshableAccessMs: DEFAULT_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS,
  refreshTokenMs: null,
  nonrefreshableAccessMs: null,
  sessionMs: null,
};

export interface PasswordSettings {
  /** m.login.password at /login. */
  login: boolean;
  /** m.login.password as a UIA stage (`enabled: only_for_reauth` allows this alone). */
  reauth: boolean;
  /** Passwords are checked against the users table at all (`localdb_enabled`). */
  localdb: boolean;
  pepper: string;
  /** Undefined unless `password_config.policy.enabled`. */
  policy: PasswordPolicy | undefined;
}

export interface AutoJoinSettings {
  rooms: string[];
  autocreate: boolean;
  federated: boolean;
  preset: "public_chat" | "private_chat" | "trusted_private_chat";
  /** The user that creates the rooms and invites to invite-only ones; else the first real user creates them. */
  creatorUserId: string | undefined;
  /** The preset makes rooms invite-only, so the creator invites each new user. */
  requiresInvite: boolean;
  forGuests: boolean;
}

/** The account settings of homeserver.yaml, with Synapse's defaults and consistency checks applied. */
export interface AccountSettings {
  lifetimes: TokenLifetimes;
  passwords: PasswordSettings;
  inhibitUserInUseError: boolean;
  enableSetDisplayname: boolean;
  enableSetAvatarUrl: boolean;
  enable3pidChanges: boolean;
  requireAuthForProfileRequests: boolean;
  limitProfileRequestsToUsersWhoShareRooms: boolean;
  /** 0 = every sensitive request asks for the password again. */
  uiAuthSessionTimeoutMs: number;
  autoJoin: AutoJoinSettings;
  /** Types registration accepts besides none (support, bot and `user_types.extra_user_types`). */
  userTypes: readonly string[];
  /** Given to users registered without a type (`user_types.default_user_type`). */
  defaultUserType: string | null;
}

const BUILT_IN_USER_TYPES = ["support", "bot"];

/** Throws a ConfigError naming the key when settings contradict each other (Synapse's checks). */
export function accountSettings(config: HomeserverConfig): AccountSettings {
  const lifetimes = tokenLifetimes(config);
  const pw = config.password_config;
  const { enabled: policyEnabled, ...policy } = pw.policy;
  const userTypes = [...BUILT_IN_USER_TYPES, ...config.user_types.extra_user_types];
  const defaultUserType = config.user_types.default_user_type ?? null;
  if (defaultUserType !== null && !userTypes.includes(defaultUserType)) {
    fail("user_types.default_user_type", "default_user_type must be in extra_user_types (or be support or bot)");
  }
  return {
    lifetimes,
    passwords: {
      login: pw.enabled === true,
      reauth: pw.enabled !== false,
      localdb: pw.localdb_enabled,
      pepper: pw.pepper,
      policy: policyEnabled ? policy : undefined,
    },
    inhibitUserInUseError: config.inhibit_user_in_use_error,
    enableSetDisplayname: config.enable_set_displayname,
    enableSetAvatarUrl: config.enable_set_avatar_url,
    enable3pidChanges: config.enable_3pid_changes ?? false,
    requireAuthForProfileRequests: config.require_auth_for_profile_requests,
    limitProfileRequestsToUsersWhoShareRooms: config.limit_profile_requests_to_users_who_share_rooms,
    uiAuthSessionTimeoutMs: config.ui_auth.session_timeout,
    autoJoin: autoJoinSettings(config),
    userTypes,
    defaultUserType,
  };
}

function tokenLifetimes(config: HomeserverConfig): TokenLifetimes {
  const sessionMs = config.session_lifetime ?? null;
  const refreshable = config.refreshable_access_token_lifetime;
  const l: TokenLifetimes = {
    refreshableAccessMs: refreshable === undefined ? DEFAULT_REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS : refreshable,
    refreshTokenMs: config.refresh_token_lifetime ?? null,
    nonrefreshableAccessMs: config.nonrefreshable_access_token_lifetime ?? null,
    sessionMs,
  };
  if (sessionMs !== null) {
    // Synapse compares the refreshable lifetime only when it is set explicitly.
    const checks: Array<[string, number | null | undefined]> = [
      ["refreshable_access_token_lifetime", refreshable],
      ["nonrefreshable_access_token_lifetime", l.nonrefreshableAccessMs],
      ["refresh_token_lifetime", l.refreshTokenMs],
    ];
    for (const [key, ms] of checks) {
      if (ms !== null && ms !== undefined && sessionMs < ms) {
        fail(key, `Both \`session_lifetime\` and \`${key}\` configuration options have been set, but \`${key}\` exceeds \`session_lifetime\`!`);
      }
    }
  }
  return l;
}

function autoJoinSettings(config: HomeserverConfig): AutoJoinSettings {
  const rooms = config.auto_join_rooms ?? [];
  for (const room of rooms) {
    // Synapse takes aliases only; a room id is accepted too (it is joined, never created).
    if (!isValidRoomAlias(room) && !isValidRoomId(room)) fail("auto_join_rooms", `Invalid auto_join_rooms entry ${room}`);
  }
  const preset = config.autocreate_auto_join_room_preset ?? "public_chat";
  const requiresInvite = preset !== "public_chat";
  const localpart = config.auto_join_mxid_localpart ?? undefined;
  if (localpart !== undefined && !isValidLocalpart(localpart, { historical: true })) {
    fail("auto_join_mxid_localpart", `Invalid localpart ${localpart}`);
  }
  if (config.autocreate_auto_join_rooms && requiresInvite && !localpart) {
    fail(
      "auto_join_mxid_localpart",
      "The configuration option `auto_join_mxid_localpart` is required if `autocreate_auto_join_room_preset` is set to " +
        "private_chat or trusted_private_chat, such that Hearth knows who to send invitations from. Please configure `auto_join_mxid_localpart`.",
    );
  }
  return {
    rooms,
    autocreate: config.autocreate_auto_join_rooms,
    federated: config.autocreate_auto_join_rooms_federated,
    preset,
    creatorUserId: localpart ? `@${localpart}:${config.server_name}` : undefined,
    requiresInvite,
    forGuests: config.auto_join_rooms_for_guests,
  };
}

function fail(key: string, message: string): never {
  throw new ConfigError(`config error: ${key}: ${message}`);
}
