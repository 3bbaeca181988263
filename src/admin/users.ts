// What the admin API does to accounts. Registration, passwords, deactivation, profiles
// and devices are the accounts services' (src/accounts/); this composes them with the
// admin-only flags (admin, locked, shadow-banned, erased) and the listing queries.
import { getLogger } from "@logtape/logtape";
import type { Requester } from "../http/context.ts";
import { MatrixError, notFound } from "../http/errors.ts";
import type { Clock } from "../observability/clock.ts";
import type { AccountServices } from "../accounts/account-services.ts";
import type { RatelimitOverrides } from "../accounts/ratelimit-overrides.ts";
import type { RatelimitOverridesStore } from "../storage/stores/ratelimit-overrides.ts";
import type { AccessTokenService } from "../auth/access-tokens.ts";
import type { UserRow, UsersStore } from "../storage/stores/users.ts";
import type { DeviceRow } from "../storage/stores/devices.ts";
import type { AdminUsersStore, UserListQuery, UserListRow } from "../storage/stores/admin-users.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";
import { parseUserId } from "../matrix/identifiers.ts";

const log = () => getLogger(["hearth", "admin", "users"]);

/** Synapse's `GET /_synapse/admin/v2/users/<user_id>` body. */
export interface AdminUserView {
  name: string;
  displayname: string | null;
  threepids: unknown[];
  avatar_url: string | null;
  is_guest: boolean;
  admin: boolean;
  deactivated: boolean;
  erased: boolean;
  shadow_banned: boolean;
  /** Seconds, as Synapse stores it (the list endpoint gives milliseconds). */
  creation_ts: number;
  last_seen_ts: number | null;
  appservice_id: string | null;
  consent_server_notice_sent: string | null;
  consent_version: string | null;
  consent_ts: number | null;
  external_ids: unknown[];
  user_type: string | null;
  locked: boolean;
  suspended: boolean;
}

export function userView(user: UserRow, extra: { erased: boolean; lastSeenTs: number | null }): AdminUserView {
  return {
    name: user.userId,
    displayname: user.displayname,
    // Hearth keeps no third-party ids or SSO mappings (yet).
    threepids: [],
    avatar_url: user.avatarUrl,
    is_guest: user.isGuest,
    admin: user.admin,
    deactivated: user.deactivated,
    erased: extra.erased,
    shadow_banned: user.shadowBanned,
    creation_ts: Math.floor(user.createdTs / 1000),
    last_seen_ts: extra.lastSeenTs,
    appservice_id: null,
    consent_server_notice_sent: null,
    consent_version: null,
    consent_ts: null,
    external_ids: [],
    user_type: user.userType,
    locked: user.locked,
    suspended: false,
  };
}

/** One entry of `GET /_synapse/admin/v2/users`. */
export function userListEntry(r: UserListRow): Record<string, unknown> {
  return {
    name: r.name,
    user_type: r.userType,
    is_guest: r.isGuest,
    admin: r.admin,
    deactivated: r.deactivated,
    erased: r.erased,
    shadow_banned: r.shadowBanned,
    displayname: r.displayname,
    avatar_url: r.avatarUrl,
    creation_ts: r.createdTs,
    last_seen_ts: r.lastSeenTs,
    locked: r.locked,
  };
}

/** A device as the admin API shows it (with the user agent, unlike the client API). */
export function adminDeviceView(row: DeviceRow): Record<string, unknown> {
  const out: Record<string, unknown> = { device_id: row.deviceId, user_id: row.userId };
  if (row.displayName !== null) out.display_name = row.displayName;
  out.last_seen_ip = row.lastSeenIp;
  out.last_seen_user_agent = row.lastSeenUserAgent;
  out.last_seen_ts = row.lastSeenTs;
  out.dehydrated = false;
  return out;
}

/** The body of `PUT /_synapse/admin/v2/users/<user_id>`, validated. */
export interface UserUpsert {
  password?: string;
  logoutDevices: boolean;
  displayname?: string;
  avatarUrl?: string;
  /** Present when the body has `admin`. */
  admin?: boolean;
  deactivated?: boolean;
  locked?: boolean;
  /** Present (possibly null) when the body has `user_type`. */
  userType?: string | null;
}

export interface UserAdminDeps {
  serverName: string;
  clock: Clock;
  users: UsersStore;
  adminUsers: AdminUsersStore;
  accounts: AccountServices;
  accessTokens: AccessTokenService;
  /** The in-memory copy the limiters read. */
  ratelimitOverrides: RatelimitOverrides;
  ratelimitOverridesStore: RatelimitOverridesStore;
  rooms: RoomsStore;
}

export class UserAdmin {
  constructor(private readonly deps: UserAdminDeps) {}

  isLocal(userId: string): boolean {
    return parseUserId(userId)?.serverName === this.deps.serverName;
  }

  list(q: UserListQuery) {
    return this.deps.adminUsers.list(q);
  }

  async view(userId: string): Promise<AdminUserView | undefined> {
    const user = await this.deps.users.get(userId);
    if (!user) return undefined;
    const [erased, lastSeenTs] = await Promise.all([this.deps.adminUsers.isErased(userId), this.deps.adminUsers.lastSeen(userId)]);
    return userView(user, { erased, lastSeenTs });
  }

  async require(userId: string): Promise<UserRow> {
    const user = await this.deps.users.get(userId);
    if (!user) throw notFound("User not found");
    return user;
  }

  /** Creates the user when unknown (true) or changes the given fields (false). */
  async upsert(admin: Requester, userId: string, body: UserUpsert): Promise<boolean> {
    const { accounts, users } = this.deps;
    const existing = await users.get(userId);
    if (!existing) {
      const localpart = parseUserId(userId)!.localpart;
      await accounts.registration.register({
        localpart,
        passwordHash: body.password !== undefined ? await accounts.hasher.hash(body.password) : null,
        admin: body.admin ?? false,
        userType: body.userType ?? null,
        displayName: body.displayname ?? null,
      });
      if (body.avatarUrl !== undefined) await accounts.profile.setField(admin, userId, "avatar_url", body.avatarUrl);
      // Synapse ignores `deactivated` and `locked` on creation.
      return true;
    }
    if (body.displayname !== undefined) await accounts.profile.setField(admin, userId, "displayname", body.displayname);
    if (body.avatarUrl !== undefined) await accounts.profile.setField(admin, userId, "avatar_url", body.avatarUrl);
    if (body.admin !== undefined && body.admin !== existing.admin) await this.setAdmin(admin, userId, body.admin);
    if (body.password !== undefined) await this.setPassword(admin, userId, body.password, body.logoutDevices);
    if (body.deactivated === true && !existing.deactivated) await this.deactivate(userId, false);
    if (body.deactivated === false && existing.deactivated) await this.reactivate(userId);
    if (body.locked !== undefined && body.locked !== existing.locked) await users.update(userId, { locked: body.locked });
    if (body.userType !== undefined) await users.update(userId, { userType: body.userType });
    return false;
  }

  async setAdmin(admin: Requester, userId: string, value: boolean): Promise<void> {
    if (!value && userId === admin.userId) throw new MatrixError(400, "M_INVALID_PARAM", "You may not demote yourself.");
    await this.deps.users.update(userId, { admin: value });
  }

  /**
   * Synapse's set_password: the new hash, then (by default) every device and
   * token of the user is logged out, except the admin's own session when the
   * admin resets their own password.
   */
  async setPassword(admin: Requester, userId: string, password: string, logoutDevices: boolean): Promise<void> {
    const hash = await this.deps.accounts.hasher.hash(password);
    const self = userId === admin.userId && !admin.puppetedBy;
    if (!logoutDevices) {
      await this.deps.accounts.management.setPassword(userId, hash, null);
      return;
    }
    if (self) {
      await this.deps.accounts.management.setPassword(userId, hash, admin);
      return;
    }
    await this.deps.accounts.management.setPassword(userId, hash, null);
    await this.deps.accounts.devices.logoutEverywhere(userId);
  }

  async deactivate(userId: string, erase: boolean): Promise<void> {
    await this.deps.accounts.management.deactivate(userId, { erase, byAdmin: true });
    if (erase) await this.deps.adminUsers.markErased(userId, this.deps.clock.now());
  }

  /** Synapse's activate_account: the flag goes; the user needs a new password (or SSO) to log in. */
  async reactivate(userId: string): Promise<void> {
    await this.deps.users.update(userId, { deactivated: false });
    await this.deps.adminUsers.unmarkErased(userId);
    log().info("Reactivated {userId}", { userId });
  }

  async joinedRooms(userId: string): Promise<string[]> {
    return (await this.deps.rooms.roomsForUser(userId, ["join"])).map((m) => m.roomId);
  }

  /** Every room the user has a membership in, with that membership. */
  async memberships(userId: string): Promise<Record<string, string>> {
    const rows = await this.deps.rooms.roomsForUser(userId, ["join", "invite", "knock", "leave", "ban"]);
    return Object.fromEntries(rows.map((m) => [m.roomId, m.membership]));
  }

  /** Synapse's whois: every place the user's devices were last seen from, as one session. */
  async whois(userId: string): Promise<Record<string, unknown>> {
    const devices = await this.deps.accounts.devices.list(userId);
    const connections = devices
      .filter((d) => d.lastSeenTs !== null)
      .map((d) => ({ ip: d.lastSeenIp, last_seen: d.lastSeenTs, user_agent: d.lastSeenUserAgent }));
    return { user_id: userId, devices: { "": { sessions: [{ connections }] } } };
  }

  /**
   * A token that acts as `userId` on behalf of `admin`, with no device (so the
   * user does not see it). Ends with the admin's `/logout/all`.
   */
  async loginAs(admin: Requester, userId: string, validUntilMs: number | null): Promise<string> {
    const now = this.deps.clock.now();
    return this.deps.accessTokens.issue(userId, null, {
      puppetsUserId: admin.puppetedBy ?? admin.userId,
      validForMs: validUntilMs === null ? undefined : validUntilMs - now,
    });
  }

  async setShadowBanned(userId: string, value: boolean): Promise<void> {
    await this.deps.users.update(userId, { shadowBanned: value });
  }

  async getRatelimit(userId: string): Promise<{ messages_per_second: number; burst_count: number } | Record<string, never>> {
    // The table, not the in-memory copy: another process sharing the database may have written it.
    const row = await this.deps.ratelimitOverridesStore.get(userId);
    if (!row) return {};
    return { messages_per_second: row.messagesPerSecond ?? 0, burst_count: row.burstCount ?? 0 };
  }

  /** Writes the override row and refreshes the in-memory copy every limiter reads. */
  async setRatelimit(userId: string, messagesPerSecond: number, burstCount: number) {
    await this.deps.adminUsers.setRatelimitOverride(userId, messagesPerSecond, burstCount);
    await this.deps.ratelimitOverrides.refresh(userId);
    return this.getRatelimit(userId);
  }

  async deleteRatelimit(userId: string): Promise<void> {
    await this.deps.adminUsers.deleteRatelimitOverride(userId);
    await this.deps.ratelimitOverrides.refresh(userId);
  }
}
