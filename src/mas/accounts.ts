import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";
import type { Requester } from "../http/context.ts";
import type { UsersStore, UserRow } from "../storage/stores/users.ts";
import type { DevicesStore } from "../storage/stores/devices.ts";
import type { DeviceService } from "../accounts/devices.ts";
import type { ProfileService } from "../accounts/profile.ts";
import { MAX_DISPLAYNAME_LENGTH, MAX_AVATAR_URL_LENGTH, DISPLAYNAME, AVATAR_URL } from "../accounts/profile.ts";
import { MAX_DEVICE_DISPLAY_NAME_LENGTH } from "../accounts/sessions.ts";
import { MatrixError, notFound } from "../http/errors.ts";
import { checkNewLocalpart } from "./localpart.ts";
import { pyBool, userRegistrations } from "../observability/metrics/feature-metrics.ts";

/** How long MAS's approval of a cross-signing reset lasts. */
export const CROSS_SIGNING_RESET_WINDOW_MS = 10 * 60 * 1000;

export interface ProvisionUserRequest {
  localpart: string;
  set_displayname?: string;
  unset_displayname?: boolean;
  set_avatar_url?: string;
  unset_avatar_url?: boolean;
  set_emails?: string[];
  unset_emails?: boolean;
  locked?: boolean;
}

export interface QueryUserResponse {
  user_id: string;
  display_name: string | null;
  avatar_url: string | null;
  is_suspended: boolean;
  is_deactivated: boolean;
}

/** What the end-to-end encryption concern offers MAS (absent until it is wired). */
export interface MasE2eePort {
  /** Makes the master key replaceable without UIA until `untilMs`; false when the user has none. */
  allowCrossSigningReset(userId: string, untilMs: number): Promise<boolean>;
  /** Tells other users to re-query the owner's devices. */
  onDeviceCreated(userId: string, deviceId: string): Promise<void>;
}

export interface MasAccountsDeps {
  serverName: string;
  clock: Clock;
  users: UsersStore;
  devices: DevicesStore;
  /** Deleting through the accounts services fires their listeners (e2e keys, to-device inboxes...). */
  deviceService: Pick<DeviceService, "delete">;
  /** Deactivation and reactivation as the admin API does them (erased mark, rooms left...). */
  userAdmin: { deactivate(userId: string, erase: boolean): Promise<void>; reactivate(userId: string): Promise<void> };
  profile: Pick<ProfileService, "setField" | "deleteField">;
  e2ee?: MasE2eePort;
}

const log = () => getLogger(["hearth", "mas", "accounts"]);

/** What MAS asks of the homeserver's accounts through /_synapse/mas/*; no HTTP here. */
export class MasAccounts {
  /** MAS changes profiles as a server admin would (Synapse's by_admin). */
  readonly #asAdmin: Requester;

  constructor(private readonly deps: MasAccountsDeps) {
    this.#asAdmin = { userId: `@mas:${deps.serverName}`, deviceId: null, isGuest: false, isAdmin: true, tokenId: "mas" };
  }

  userIdOf(localpart: string): string {
    return `@${localpart}:${this.deps.serverName}`;
  }

  async queryUser(localpart: string): Promise<QueryUserResponse> {
    const user = await this.requireUser(localpart);
    return {
      user_id: user.userId,
      display_name: user.displayname ?? null,
      avatar_url: user.avatarUrl ?? null,
      // Hearth has no suspension yet.
      is_suspended: false,
      is_deactivated: user.deactivated,
    };
  }

  async isLocalpartAvailable(localpart: string): Promise<void> {
    await checkNewLocalpart(localpart, this.deps.serverName, this.findExisting);
  }

  /** Creates or updates the user; true when it was created. */
  async provisionUser(req: ProvisionUserRequest): Promise<boolean> {
    const userId = this.userIdOf(req.localpart);
    const setName = req.set_displayname !== undefined ? normaliseDisplayname(req.set_displayname) : undefined;
    checkAvatarUrl(req.set_avatar_url);
    const emails = req.set_emails ? canonicaliseEmails(req.set_emails) : undefined;
    const existing = await this.deps.users.get(userId);
    if (!existing) {
      await checkNewLocalpart(req.localpart, this.deps.serverName, this.findExisting);
      const created = await this.deps.users.create({
        userId,
        createdTs: this.deps.clock.now(),
        displayname: setName !== undefined ? setName : req.localpart,
        avatarUrl: req.set_avatar_url ?? null,
        locked: req.locked ?? false,
      });
      if (!created) throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
      // Synapse provisions through register_user, which counts a registration with auth_provider "".
      userRegistrations.inc({ guest: pyBool(false), shadow_banned: pyBool(false), auth_provider: "", server_name: this.deps.serverName });
      log().info("Provisioned user {userId} for MAS", { userId });
    } else {
      if (req.unset_displayname) await this.setDisplayname(req.localpart, null);
      else if (setName !== undefined) await this.#setProfile(userId, DISPLAYNAME, setName);
      if (req.locked !== undefined) await this.deps.users.update(userId, { locked: req.locked });
      if (req.unset_avatar_url) await this.#setProfile(userId, AVATAR_URL, null);
      else if (req.set_avatar_url !== undefined) await this.#setProfile(userId, AVATAR_URL, req.set_avatar_url);
    }
    if (emails?.length || req.unset_emails) {
      // TODO(threepids): reconcile the user's email threepids once accounts store them.
      log().debug("Not storing email addresses of {userId}: no threepid storage yet", { userId });
    }
    return !existing;
  }

  async deleteUser(localpart: string, erase: boolean): Promise<void> {
    const user = await this.requireUser(localpart);
    await this.deps.userAdmin.deactivate(user.userId, erase);
  }

  async reactivateUser(localpart: string): Promise<void> {
    const user = await this.requireUser(localpart);
    await this.deps.userAdmin.reactivate(user.userId);
  }

  /** Sets the display name as an admin would: trimmed, "" (or null) clears it. */
  async setDisplayname(localpart: string, displayname: string | null): Promise<void> {
    const user = await this.requireUser(localpart);
    await this.#setProfile(user.userId, DISPLAYNAME, displayname === null ? null : normaliseDisplayname(displayname));
  }

  /** True when the device was created, false when it existed. */
  async upsertDevice(localpart: string, deviceId: string, displayName: string | null): Promise<boolean> {
    const user = await this.requireUser(localpart);
    checkDeviceName(displayName);
    const created = await this.deps.devices.upsert(user.userId, deviceId, displayName, this.deps.clock.now());
    if (!created && displayName !== null) await this.deps.devices.setDisplayName(user.userId, deviceId, displayName);
    if (created) await this.deps.e2ee?.onDeviceCreated(user.userId, deviceId);
    return created;
  }

  async deleteDevice(localpart: string, deviceId: string): Promise<void> {
    const user = await this.requireUser(localpart);
    await this.deps.deviceService.delete(user.userId, [deviceId]);
  }

  async updateDeviceDisplayName(localpart: string, deviceId: string, displayName: string): Promise<void> {
    const user = await this.requireUser(localpart);
    checkDeviceName(displayName);
    if (!(await this.deps.devices.setDisplayName(user.userId, deviceId, displayName))) throw notFound("Device not found");
  }

  /** Makes the user's devices exactly `deviceIds`. */
  async syncDevices(localpart: string, deviceIds: string[]): Promise<void> {
    const user = await this.requireUser(localpart);
    const target = new Set(deviceIds);
    const current = new Set((await this.deps.devices.listForUser(user.userId)).map((d) => d.deviceId));
    const add = [...target].filter((d) => !current.has(d));
    const remove = [...current].filter((d) => !target.has(d));
    const fields = { n: target.size, userId: user.userId, add: add.length, remove: remove.length };
    if (add.length > 0 && remove.length > 0) {
      log().info("Syncing {n} devices for user {userId} will add {add} devices and delete {remove} devices", fields);
    } else if (add.length > 0) {
      log().info("Syncing {n} devices for user {userId} will add {add} devices", fields);
    } else if (remove.length > 0) {
      log().info("Syncing {n} devices for user {userId} will delete {remove} devices", fields);
    }
    if (remove.length > 0) await this.deps.deviceService.delete(user.userId, remove);
    const now = this.deps.clock.now();
    for (const deviceId of add) {
      if (await this.deps.devices.upsert(user.userId, deviceId, null, now)) {
        await this.deps.e2ee?.onDeviceCreated(user.userId, deviceId);
      }
    }
  }

  async allowCrossSigningReset(localpart: string): Promise<void> {
    const user = await this.requireUser(localpart);
    const until = this.deps.clock.now() + CROSS_SIGNING_RESET_WINDOW_MS;
    const hadKey = (await this.deps.e2ee?.allowCrossSigningReset(user.userId, until)) ?? false;
    if (!hadKey) log().warn("User {userId} has no master cross-signing key", { userId: user.userId });
  }

  /** Through the profile service, so member events follow the change. */
  async #setProfile(userId: string, field: string, value: string | null): Promise<void> {
    if (value === null) await this.deps.profile.deleteField(this.#asAdmin, userId, field);
    else await this.deps.profile.setField(this.#asAdmin, userId, field, value);
  }

  private async requireUser(localpart: string): Promise<UserRow> {
    const user = await this.deps.users.get(this.userIdOf(localpart));
    if (!user) throw notFound("User not found");
    return user;
  }

  private readonly findExisting = async (userId: string): Promise<string | undefined> =>
    (await this.deps.users.getCaseInsensitive(userId))[0]?.userId;
}

/** Trimmed; "" means no display name. */
export function normaliseDisplayname(name: string): string | null {
  const trimmed = name.trim();
  if ([...trimmed].length > MAX_DISPLAYNAME_LENGTH) {
    throw new MatrixError(400, "M_INVALID_PARAM", `Displayname is too long (max ${MAX_DISPLAYNAME_LENGTH})`);
  }
  return trimmed === "" ? null : trimmed;
}

function checkAvatarUrl(url: string | undefined): void {
  if (url !== undefined && [...url].length > MAX_AVATAR_URL_LENGTH) {
    throw new MatrixError(400, "M_INVALID_PARAM", `Avatar URL is too long (max ${MAX_AVATAR_URL_LENGTH})`);
  }
}

function checkDeviceName(name: string | null): void {
  if (name !== null && name.length > MAX_DEVICE_DISPLAY_NAME_LENGTH) {
    throw new MatrixError(400, "M_TOO_LARGE", `Device display name is too long (max ${MAX_DEVICE_DISPLAY_NAME_LENGTH})`);
  }
}

/** Synapse's canonical email form (local part and domain lower-cased), duplicates dropped. */
export function canonicaliseEmails(addresses: string[]): string[] {
  const out = new Set<string>();
  for (const raw of addresses) {
    const parts = raw.trim().split("@");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
      throw new MatrixError(400, "M_INVALID_PARAM", "Unable to parse email address");
    }
    out.add(`${parts[0]!.toLowerCase()}@${parts[1]!.toLowerCase()}`);
  }
  return [...out];
}
