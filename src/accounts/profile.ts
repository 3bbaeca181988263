import { getLogger } from "@logtape/logtape";
import type { Requester } from "../http/context.ts";
import { MatrixError, forbidden, invalidParam, notFound } from "../http/errors.ts";
import { utf8Length } from "../matrix/identifiers.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import type { ProfileFieldsStore } from "../storage/stores/profile-fields.ts";
import { Listeners } from "./listeners.ts";

const log = getLogger(["hearth", "accounts", "profile"]);

export const DISPLAYNAME = "displayname";
export const AVATAR_URL = "avatar_url";
export const MAX_DISPLAYNAME_LENGTH = 256;
export const MAX_AVATAR_URL_LENGTH = 1000;
export const MAX_PROFILE_KEY_BYTES = 255;
/** The spec caps a whole profile at 64 KiB. */
export const MAX_PROFILE_BYTES = 64 * 1024;
/** The Common Namespaced Identifier Grammar, which profile keys follow. */
const PROFILE_KEY = /^[a-z][a-z0-9_.-]*$/;

export interface ProfileChanged {
  userId: string;
  /** The field that changed: displayname, avatar_url or a custom key. */
  field: string;
  displayname: string | null;
  avatarUrl: string | null;
  /** Set when a server admin changed someone else's profile. */
  byAdmin: boolean;
}

/** Throws unless `key` may name a profile field. */
export function checkProfileKey(key: string): void {
  if (key.length === 0) throw invalidParam("Field name too short");
  if (utf8Length(key) > MAX_PROFILE_KEY_BYTES) throw new MatrixError(400, "M_KEY_TOO_LARGE", "Field name too long");
  if (!PROFILE_KEY.test(key)) throw invalidParam("Field name does not follow Common Namespaced Identifier Grammar");
}

/**
 * Whether a profile string can go into the member events (canonical JSON refuses lone
 * surrogates) and into columns of its own (PostgreSQL's text cannot hold NUL).
 */
function storableText(value: string): boolean {
  return value.isWellFormed() && !value.includes("\u0000");
}

/** The value to store for a field: null clears displayname and avatar_url. */
function normaliseValue(key: string, value: unknown): unknown {
  if (key === DISPLAYNAME) {
    if (typeof value !== "string") throw invalidParam("'displayname' must be a string");
    if (!storableText(value)) throw invalidParam("'displayname' must be Unicode text without NUL characters");
    if ([...value].length > MAX_DISPLAYNAME_LENGTH) throw invalidParam(`Displayname is too long (max ${MAX_DISPLAYNAME_LENGTH})`);
    return value === "" ? null : value.trim();
  }
  if (key === AVATAR_URL) {
    if (typeof value !== "string") throw invalidParam("'avatar_url' must be a string");
    if (!storableText(value)) throw invalidParam("'avatar_url' must be Unicode text without NUL characters");
    if ([...value].length > MAX_AVATAR_URL_LENGTH) throw invalidParam(`Avatar URL is too long (max ${MAX_AVATAR_URL_LENGTH})`);
    return value === "" ? null : value;
  }
  if (key === "m.tz" && typeof value !== "string") throw invalidParam("'m.tz' must be a string");
  return value;
}

export interface ProfileSettings {
  /** `enable_set_displayname`: when false, only admins may change a display name once one is set. */
  enableSetDisplayname: boolean;
  enableSetAvatarUrl: boolean;
  /** `limit_profile_requests_to_users_who_share_rooms` (applies to authenticated lookups only). */
  limitToUsersWhoShareRooms: boolean;
}

const DEFAULT_SETTINGS: ProfileSettings = { enableSetDisplayname: true, enableSetAvatarUrl: true, limitToUsersWhoShareRooms: false };

/** Profiles of local users: displayname and avatar_url on the user row, other fields beside it. */
export class ProfileService {
  /** Fired after a change; the rooms code subscribes to update the user's member events. */
  readonly onProfileChanged = new Listeners<ProfileChanged>("profile_changed");

  constructor(
    private readonly serverName: string,
    private readonly users: UsersStore,
    private readonly fields: ProfileFieldsStore,
    private readonly settings: ProfileSettings = DEFAULT_SETTINGS,
  ) {}

  /**
   * With `limit_profile_requests_to_users_who_share_rooms`, a user may only look
   * up the profiles of users they share a joined room with (and their own).
   * `requester` is undefined for anonymous lookups, which this never limits (Synapse).
   */
  async checkQueryAllowed(userId: string, requester: string | undefined, joinedRoomIds: (userId: string) => Promise<string[]>): Promise<void> {
    if (!this.settings.limitToUsersWhoShareRooms || requester === undefined || requester === userId) return;
    const [mine, theirs] = await Promise.all([joinedRoomIds(requester), joinedRoomIds(userId)]);
    const shared = new Set(mine);
    if (!theirs.some((roomId) => shared.has(roomId))) throw forbidden("Profile isn't available");
  }

  isLocal(userId: string): boolean {
    return userId.slice(userId.indexOf(":") + 1) === this.serverName;
  }

  /** The whole profile; 404 when the user is unknown here or has no profile at all. */
  async getProfile(userId: string): Promise<Record<string, unknown>> {
    const profile = this.isLocal(userId) ? await this.#load(userId) : undefined;
    if (!profile || Object.keys(profile).length === 0) throw notFound("Profile was not found");
    return profile;
  }

  /** One field; 404 when it is not set (or the user is unknown here). */
  async getField(userId: string, key: string): Promise<unknown> {
    checkProfileKey(key);
    const profile = this.isLocal(userId) ? await this.#load(userId) : undefined;
    if (!profile) throw notFound("Profile was not found");
    if (!(key in profile)) throw notFound("Profile field was not found");
    return profile[key];
  }

  async setField(requester: Requester, userId: string, key: string, value: unknown): Promise<void> {
    checkProfileKey(key);
    const byAdmin = await this.#checkCanChange(requester, userId);
    const stored = normaliseValue(key, value);
    const profile = await this.#load(userId);
    if (!profile) throw notFound("Profile was not found");
    this.#checkChangeEnabled(requester, key, profile);
    if (stored === null) delete profile[key];
    else profile[key] = stored;
    if (utf8Length(JSON.stringify(profile)) > MAX_PROFILE_BYTES) {
      throw new MatrixError(400, "M_PROFILE_TOO_LARGE", `The profile would exceed ${MAX_PROFILE_BYTES} bytes`);
    }
    if (key === DISPLAYNAME) await this.users.update(userId, { displayname: stored as string | null });
    else if (key === AVATAR_URL) await this.users.update(userId, { avatarUrl: stored as string | null });
    else await this.fields.set(userId, key, stored);
    await this.#changed(userId, key, profile, byAdmin);
  }

  async deleteField(requester: Requester, userId: string, key: string): Promise<void> {
    checkProfileKey(key);
    const byAdmin = await this.#checkCanChange(requester, userId);
    const profile = await this.#load(userId);
    if (!profile) throw notFound("Profile was not found");
    this.#checkChangeEnabled(requester, key, profile);
    delete profile[key];
    if (key === DISPLAYNAME) await this.users.update(userId, { displayname: null });
    else if (key === AVATAR_URL) await this.users.update(userId, { avatarUrl: null });
    else await this.fields.delete(userId, key);
    await this.#changed(userId, key, profile, byAdmin);
  }

  async #checkCanChange(requester: Requester, userId: string): Promise<boolean> {
    if (!this.isLocal(userId)) throw new MatrixError(400, "M_UNKNOWN", "User is not hosted on this homeserver");
    if (userId === requester.userId) return false;
    // Server admins may change other local users' profiles, as in Synapse.
    if (!requester.isAdmin) throw forbidden("Cannot set another user's profile");
    return true;
  }

  /** `enable_set_displayname` / `enable_set_avatar_url`: a value once set is the admins' to change (Synapse's rule). */
  #checkChangeEnabled(requester: Requester, key: string, profile: Record<string, unknown>): void {
    if (requester.isAdmin) return;
    if (key === DISPLAYNAME && !this.settings.enableSetDisplayname && profile[DISPLAYNAME]) {
      throw new MatrixError(400, "M_FORBIDDEN", "Changing display name is disabled on this server");
    }
    if (key === AVATAR_URL && !this.settings.enableSetAvatarUrl && profile[AVATAR_URL]) {
      throw new MatrixError(400, "M_FORBIDDEN", "Changing avatar is disabled on this server");
    }
  }

  async #load(userId: string): Promise<Record<string, unknown> | undefined> {
    const user = await this.users.get(userId);
    if (!user) return undefined;
    const profile: Record<string, unknown> = await this.fields.list(userId);
    if (user.displayname !== null) profile[DISPLAYNAME] = user.displayname;
    if (user.avatarUrl !== null) profile[AVATAR_URL] = user.avatarUrl;
    return profile;
  }

  async #changed(userId: string, field: string, profile: Record<string, unknown>, byAdmin: boolean): Promise<void> {
    log.debug("Profile field {field} of {userId} changed", { field, userId });
    await this.onProfileChanged.emit({
      userId,
      field,
      displayname: (profile[DISPLAYNAME] as string | undefined) ?? null,
      avatarUrl: (profile[AVATAR_URL] as string | undefined) ?? null,
      byAdmin,
    });
  }
}
