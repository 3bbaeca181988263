import { getLogger } from "@logtape/logtape";
import { MatrixError } from "../http/errors.ts";
import { canonicalJson } from "../matrix/canonical-json.ts";
import { parseUserId } from "../matrix/identifiers.ts";
import type { Clock } from "../observability/clock.ts";
import type { E2eeToDeviceStore, ToDeviceDelivery } from "../storage/stores/e2ee-to-device.ts";
import type { E2eeWaker, Json } from "./ports.ts";

const log = getLogger(["hearth", "e2ee", "to_device"]);

/** Largest content of one to-device message (Synapse: it must fit in a federation EDU). */
export const MAX_TO_DEVICE_CONTENT_BYTES = 65536;
/** Messages per /sync response; the rest follow in the next one. */
export const TO_DEVICE_SYNC_LIMIT = 100;
/** How long a send transaction id is remembered. */
export const TO_DEVICE_TXN_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface ToDeviceSender {
  userId: string;
  deviceId: string | null;
  tokenId: string;
}

export interface DeviceDirectory {
  /** Device ids of the user's devices. */
  deviceIdsOf(userId: string): Promise<string[]>;
}

/** Send-to-device messaging: PUT /sendToDevice and the `to_device` section of /sync. */
export class ToDeviceService {
  constructor(
    private readonly serverName: string,
    private readonly store: E2eeToDeviceStore,
    private readonly devices: DeviceDirectory,
    private readonly waker: E2eeWaker,
    private readonly clock: Clock,
  ) {}

  /**
   * Queues `content` per recipient device (`*`: every device of the user; unknown
   * devices are skipped). A transaction id already used by the same device (or token)
   * queues nothing again.
   */
  async send(sender: ToDeviceSender, eventType: string, txnId: string, messages: Record<string, Record<string, Json>>): Promise<void> {
    const deliveries: ToDeviceDelivery[] = [];
    for (const [userId, byDevice] of Object.entries(messages)) {
      for (const [deviceId, content] of Object.entries(byDevice)) {
        const size = Buffer.byteLength(canonicalJson(content));
        if (size > MAX_TO_DEVICE_CONTENT_BYTES) {
          throw new MatrixError(413, "M_TOO_LARGE", `To-device message for ${userId}:${deviceId} is too large to send (${size} > ${MAX_TO_DEVICE_CONTENT_BYTES})`);
        }
      }
      const server = parseUserId(userId)?.serverName;
      if (!server) {
        log.warn("Ignoring to-device message to invalid user {userId}", { userId });
        continue;
      }
      if (server !== this.serverName) {
        log.info("Dropping to-device message to remote user {userId}: federation is not available", { userId });
        continue;
      }
      const known = new Set(await this.devices.deviceIdsOf(userId));
      for (const [deviceId, content] of Object.entries(byDevice)) {
        const targets = deviceId === "*" ? [...known] : known.has(deviceId) ? [deviceId] : [];
        for (const target of targets) {
          deliveries.push({ userId, deviceId: target, message: { type: eventType, sender: sender.userId, content } });
        }
      }
    }
    const scope = sender.deviceId !== null ? `d:${sender.deviceId}` : `t:${sender.tokenId}`;
    const position = await this.store.send({ userId: sender.userId, scope, txnId }, deliveries, this.clock.now());
    if (position === null) {
      log.debug("Ignoring repeated to-device transaction {txnId}", { txnId });
      return;
    }
    if (deliveries.length > 0) this.waker.wakeUsers("to_device", position, new Set(deliveries.map((d) => d.userId)));
  }

  currentPosition(): Promise<number> {
    return this.store.currentPosition();
  }

  /**
   * The device's to-device messages for /sync. `since` is the position the client last
   * received: everything up to it is acknowledged and deleted only now, so messages of a
   * response the client never got are sent again. Returns the events and the position to
   * put in next_batch (the last one delivered when more are waiting).
   */
  async forSync(userId: string, deviceId: string, since: number | null, upTo: number): Promise<{ events: Json[]; position: number }> {
    const after = since === null ? 0 : Math.min(since, upTo);
    if (after > 0) await this.store.acknowledge(userId, deviceId, after);
    const pending = await this.store.pending(userId, deviceId, after, upTo, TO_DEVICE_SYNC_LIMIT);
    const position = pending.length === TO_DEVICE_SYNC_LIMIT ? pending.at(-1)!.streamId : upTo;
    return { events: pending.map((p) => p.message), position };
  }

  pruneTransactions(): Promise<void> {
    return this.store.pruneTxns(this.clock.now() - TO_DEVICE_TXN_RETENTION_MS);
  }
}
