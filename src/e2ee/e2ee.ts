import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";
import type { BackgroundProcesses } from "../observability/background.ts";
import type { Database } from "../storage/database.ts";
import type { DevicesStore } from "../storage/stores/devices.ts";
import { E2eeDeviceKeysStore } from "../storage/stores/e2ee-device-keys.ts";
import { E2eeCrossSigningStore } from "../storage/stores/e2ee-cross-signing.ts";
import { E2eeDeviceListsStore } from "../storage/stores/e2ee-device-lists.ts";
import { E2eeToDeviceStore } from "../storage/stores/e2ee-to-device.ts";
import { E2eeKeyBackupStore } from "../storage/stores/e2ee-key-backup.ts";
import { E2eeRoomSharingStore } from "../storage/stores/e2ee-room-sharing.ts";
import { DeviceListsService } from "./device-lists.ts";
import { DeviceKeysService } from "./device-keys.ts";
import { CrossSigningService } from "./cross-signing.ts";
import { ToDeviceService } from "./to-device.ts";
import { KeyBackupService } from "./key-backup.ts";
import { noopWaker, type E2eeWaker, type RoomSharing } from "./ports.ts";
import { e2eeSync, type E2eeSyncRequest, type E2eeSyncResult } from "./sync.ts";

const log = getLogger(["hearth", "e2ee"]);
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export interface E2eeDeps {
  serverName: string;
  database: Database;
  clock: Clock;
  background: BackgroundProcesses;
  devices: DevicesStore;
  /** Wakes /sync; e.g. `(stream, pos, users) => notifier.wakeUsers(users)`. */
  waker?: E2eeWaker;
  /** Defaults to queries over the rooms tables. */
  sharing?: RoomSharing;
}

/** The end-to-end encryption concern of one homeserver. */
export interface E2ee {
  stores: {
    deviceKeys: E2eeDeviceKeysStore;
    crossSigning: E2eeCrossSigningStore;
    deviceLists: E2eeDeviceListsStore;
    toDevice: E2eeToDeviceStore;
    keyBackup: E2eeKeyBackupStore;
    roomSharing: E2eeRoomSharingStore;
  };
  keys: DeviceKeysService;
  crossSigning: CrossSigningService;
  toDevice: ToDeviceService;
  deviceLists: DeviceListsService;
  keyBackup: KeyBackupService;
  /**
   * Call after devices were deleted (logout is not deletion): drops their keys,
   * signatures and to-device inbox, and tells users sharing a room with the owner.
   */
  onDevicesDeleted(userId: string, deviceIds: string[]): Promise<void>;
  /** Call after a user was deactivated (their devices are deleted separately): drops their key backups. */
  onUserDeactivated(userId: string): Promise<void>;
  /** Call after a new device was created, so other users re-query the owner's devices. */
  onDeviceCreated(userId: string, deviceId: string): Promise<void>;
  /** The e2ee part of a /sync response; see sync.ts. */
  sync(req: E2eeSyncRequest): Promise<E2eeSyncResult>;
  /** Current positions of the to_device and device_lists streams. */
  positions(): Promise<{ toDevice: number; deviceLists: number }>;
}

export function createE2ee(deps: E2eeDeps): E2ee {
  const { database, clock } = deps;
  const stores = {
    deviceKeys: new E2eeDeviceKeysStore(database),
    crossSigning: new E2eeCrossSigningStore(database),
    deviceLists: new E2eeDeviceListsStore(database),
    toDevice: new E2eeToDeviceStore(database),
    keyBackup: new E2eeKeyBackupStore(database),
    roomSharing: new E2eeRoomSharingStore(database),
  };
  const waker = deps.waker ?? noopWaker;
  const deviceLists = new DeviceListsService(stores.deviceLists, deps.sharing ?? stores.roomSharing, waker, clock);
  const keys = new DeviceKeysService(deps.serverName, stores.deviceKeys, stores.crossSigning, deviceLists, clock);
  const toDevice = new ToDeviceService(
    deps.serverName,
    stores.toDevice,
    { deviceIdsOf: async (userId) => (await deps.devices.listForUser(userId)).map((d) => d.deviceId) },
    waker,
    clock,
  );
  const e2ee: E2ee = {
    stores,
    keys,
    crossSigning: new CrossSigningService(stores.crossSigning, stores.deviceKeys, deviceLists, clock),
    toDevice,
    deviceLists,
    keyBackup: new KeyBackupService(stores.keyBackup),
    async onDevicesDeleted(userId, deviceIds) {
      if (deviceIds.length === 0) return;
      await database.transaction("delete_e2e_device_data", async () => {
        for (const deviceId of deviceIds) {
          await stores.deviceKeys.deleteForDevice(userId, deviceId);
          await stores.crossSigning.deleteSignaturesOnDevice(userId, deviceId);
          await stores.toDevice.deleteForDevice(userId, deviceId);
        }
      });
      log.info("Deleted e2e data of {n} devices of {userId}", { n: deviceIds.length, userId });
      await deviceLists.changed(userId);
    },
    async onUserDeactivated(userId) {
      await stores.keyBackup.deleteAllForUser(userId);
      log.info("Deleted the key backups of deactivated user {userId}", { userId });
    },
    async onDeviceCreated(userId) {
      await deviceLists.changed(userId);
    },
    sync: (req) => e2eeSync(e2ee, req),
    async positions() {
      const [t, d] = await Promise.all([toDevice.currentPosition(), deviceLists.currentPosition()]);
      return { toDevice: t, deviceLists: d };
    },
  };
  clock.callWhenRunning(() => {
    clock.loopingCall(PRUNE_INTERVAL_MS, () => deps.background.run("prune_to_device_txns", () => toDevice.pruneTransactions()), {
      name: "prune_to_device_txns",
    });
  });
  return e2ee;
}
