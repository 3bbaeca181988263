import type { Clock } from "../observability/clock.ts";

export interface LazyMembersLimits {
  /** Devices remembered at once; the least recently syncing is forgotten first. */
  maxDevices: number;
  /** Member events remembered per device (Synapse: 100). */
  maxMembersPerDevice: number;
  /** A device that has not synced for this long is forgotten (Synapse: 30 minutes). */
  idleMs: number;
}

export const DEFAULT_LAZY_MEMBERS_LIMITS: LazyMembersLimits = {
  maxDevices: 10_000,
  maxMembersPerDevice: 100,
  idleMs: 30 * 60_000,
};

interface Sent {
  eventId: string;
  /** Events position (next_batch) of the response that carried it. */
  position: number;
}

interface DeviceMembers {
  /** `${roomId}\0${userId}` → the member event sent last; in least-recently-used order. */
  sent: Map<string, Sent>;
  lastUsed: number;
}

/**
 * The member events each device was sent by lazy-loading /syncs, so that an
 * incremental sync without `include_redundant_members` does not send them
 * again (as Synapse's lazy_loaded_members_cache). In memory only: after a
 * restart, or once a device or entry is evicted, members are simply sent again
 * (correct, just larger).
 *
 * Unlike Synapse, an entry only counts once the client has synced from a
 * position at or after the response that carried it: a client that lost a
 * response and retries with its older token gets the members again.
 */
export class LazyMembersCache {
  readonly #devices = new Map<string, DeviceMembers>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: LazyMembersLimits = DEFAULT_LAZY_MEMBERS_LIMITS,
  ) {}

  /** A sync without `since` starts over: the client may have forgotten everything. */
  reset(userId: string, deviceId: string | null): void {
    this.#devices.delete(deviceKey(userId, deviceId));
  }

  /** Whether a client syncing from events position `since` already holds this member event. */
  has(userId: string, deviceId: string | null, roomId: string, member: string, eventId: string, since: number): boolean {
    const device = this.#device(userId, deviceId, false);
    if (!device) return false;
    const key = memberKey(roomId, member);
    const sent = device.sent.get(key);
    if (sent === undefined || sent.eventId !== eventId || sent.position > since) return false;
    // A hit keeps the entry: it is the members who keep talking that are worth remembering.
    device.sent.delete(key);
    device.sent.set(key, sent);
    return true;
  }

  /** Remembers member events sent in a response covering up to events position `position`. */
  record(userId: string, deviceId: string | null, roomId: string, members: Iterable<{ stateKey: string; eventId: string }>, position: number): void {
    let device: DeviceMembers | undefined;
    for (const m of members) {
      device ??= this.#device(userId, deviceId, true)!;
      const key = memberKey(roomId, m.stateKey);
      device.sent.delete(key);
      device.sent.set(key, { eventId: m.eventId, position });
      if (device.sent.size > this.limits.maxMembersPerDevice) {
        const oldest = device.sent.keys().next().value;
        if (oldest !== undefined) device.sent.delete(oldest);
      }
    }
  }

  /** Devices remembered (for tests and metrics). */
  get deviceCount(): number {
    return this.#devices.size;
  }

  #device(userId: string, deviceId: string | null, create: boolean): DeviceMembers | undefined {
    const key = deviceKey(userId, deviceId);
    const now = this.clock.now();
    let device = this.#devices.get(key);
    if (device && now - device.lastUsed > this.limits.idleMs) {
      this.#devices.delete(key);
      device = undefined;
    }
    if (!device) {
      if (!create) return undefined;
      device = { sent: new Map(), lastUsed: now };
    } else {
      this.#devices.delete(key);
    }
    device.lastUsed = now;
    this.#devices.set(key, device);
    this.#evict(now);
    return device;
  }

  /** Drops idle devices and, past the limit, the least recently used ones (oldest first in the map). */
  #evict(now: number): void {
    for (const [key, d] of this.#devices) {
      if (this.#devices.size <= this.limits.maxDevices && now - d.lastUsed <= this.limits.idleMs) break;
      this.#devices.delete(key);
    }
  }
}

const deviceKey = (userId: string, deviceId: string | null) => `${userId}\u0000${deviceId ?? ""}`;
const memberKey = (roomId: string, userId: string) => `${roomId}\u0000${userId}`;
