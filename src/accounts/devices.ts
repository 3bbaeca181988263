import { getLogger } from "@logtape/logtape";
import type { DeviceRow, DevicesStore } from "../storage/stores/devices.ts";
import type { AccessTokensStore } from "../storage/stores/access-tokens.ts";
import { MatrixError, notFound } from "../http/errors.ts";
import { Listeners } from "./listeners.ts";
import { MAX_DEVICE_DISPLAY_NAME_LENGTH } from "./sessions.ts";
import type { LastSeenTracker } from "./last-seen.ts";

const log = getLogger(["hearth", "accounts", "devices"]);

export interface DevicesDeleted {
  userId: string;
  deviceIds: string[];
}

/** A device as the client API shows it (last_seen_user_agent stays private, as in Synapse). */
export interface DeviceView {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

export function deviceView(row: DeviceRow): DeviceView {
  const out: DeviceView = { device_id: row.deviceId };
  if (row.displayName !== null) out.display_name = row.displayName;
  if (row.lastSeenIp !== null) out.last_seen_ip = row.lastSeenIp;
  if (row.lastSeenTs !== null) out.last_seen_ts = row.lastSeenTs;
  return out;
}

export class DeviceService {
  /** Fired after devices (and their tokens) are gone: end-to-end keys and to-device messages go too. */
  readonly onDevicesDeleted = new Listeners<DevicesDeleted>("devices_deleted");

  constructor(
    private readonly store: DevicesStore,
    private readonly tokens: AccessTokensStore,
    /** Sightings not yet written are merged into what is read. */
    private readonly lastSeen?: LastSeenTracker,
  ) {}

  async list(userId: string): Promise<DeviceRow[]> {
    const rows = await this.store.listForUser(userId);
    return this.lastSeen ? this.lastSeen.overlay(rows) : rows;
  }

  async get(userId: string, deviceId: string): Promise<DeviceRow | undefined> {
    const row = await this.store.get(userId, deviceId);
    return row && this.lastSeen ? this.lastSeen.overlay([row])[0] : row;
  }

  async setDisplayName(userId: string, deviceId: string, displayName: string | null): Promise<void> {
    if (displayName !== null && displayName.length > MAX_DEVICE_DISPLAY_NAME_LENGTH) {
      throw new MatrixError(400, "M_INVALID_PARAM", `Device display name is too long (max ${MAX_DEVICE_DISPLAY_NAME_LENGTH})`);
    }
    if (!(await this.store.setDisplayName(userId, deviceId, displayName))) throw notFound("Unknown device");
  }

  /** Deletes the devices and every token issued for them. Unknown ids are ignored. */
  async delete(userId: string, deviceIds: string[]): Promise<void> {
    const deleted = await this.store.deleteDevices(userId, deviceIds);
    if (deleted.length === 0) return;
    log.info("Deleted devices {deviceIds} of {userId}", { deviceIds: deleted, userId });
    await this.onDevicesDeleted.emit({ userId, deviceIds: deleted });
  }

  /** Deletes every device of the user but `exceptDeviceId`, with their tokens. */
  async deleteAll(userId: string, exceptDeviceId: string | null = null): Promise<void> {
    const deleted = await this.store.deleteAllForUser(userId, exceptDeviceId);
    if (deleted.length === 0) return;
    log.info("Deleted {count} devices of {userId}", { count: deleted.length, userId });
    await this.onDevicesDeleted.emit({ userId, deviceIds: deleted });
  }

  /** Logs the user out everywhere: every device, and every token, also those without a device. */
  async logoutEverywhere(userId: string): Promise<void> {
    await this.deleteAll(userId);
    await this.tokens.deleteForUser(userId);
  }
}
