import type { Clock } from "../observability/clock.ts";
import type { E2eeDeviceListsStore } from "../storage/stores/e2ee-device-lists.ts";
import type { E2eeWaker, RoomSharing } from "./ports.ts";

export interface DeviceListChanges {
  changed: string[];
  left: string[];
}

/** Who started or stopped sharing a room with the syncing user in the sync window. */
export interface SharingDelta {
  /** Users who now share a room with the syncing user and did not before (joins on either side). */
  started: Iterable<string>;
  /** Users who shared a room before and may no longer share any. */
  ended: Iterable<string>;
}

/**
 * The device-list stream: records changes of users' devices and keys, tells /sync and
 * /keys/changes who changed, and wakes the /sync of everyone who should hear about it.
 */
export class DeviceListsService {
  constructor(
    private readonly store: E2eeDeviceListsStore,
    private readonly sharing: RoomSharing,
    private readonly waker: E2eeWaker,
    private readonly clock: Clock,
  ) {}

  /**
   * Records that `userId`'s devices or cross-signing keys changed. With `onlyVisibleTo`
   * only that user hears of it (a user-signing key, or a signature on another user's key).
   */
  async changed(userId: string, opts: { onlyVisibleTo?: string[] } = {}): Promise<number> {
    const only = opts.onlyVisibleTo;
    const changes = only ? only.map((v) => ({ userId, visibleTo: v })) : [{ userId, visibleTo: null }];
    const position = await this.store.append(changes, this.clock.now());
    const wake = only ? new Set(only) : await this.sharing.usersSharingRoomWith(userId);
    if (!only) wake.add(userId);
    this.waker.wakeUsers("device_lists", position, wake);
    return position;
  }

  currentPosition(): Promise<number> {
    return this.store.currentPosition();
  }

  /**
   * device_lists for /sync (and /keys/changes): users that share a room with `userId`
   * (or `userId` itself) whose devices changed in (since, upTo], plus users sharing
   * started with; `left` has users sharing ended with who share no room any more.
   */
  async changesFor(userId: string, since: number, upTo: number, delta?: SharingDelta): Promise<DeviceListChanges> {
    const candidates = await this.store.changedBetween(userId, since, upTo);
    const started = new Set(delta?.started ?? []);
    const ended = new Set(delta?.ended ?? []);
    started.delete(userId);
    ended.delete(userId);
    const toCheck = new Set<string>([...started, ...ended]);
    for (const c of candidates) if (!c.private && c.userId !== userId) toCheck.add(c.userId);
    const sharing = await this.sharing.whoSharesRoomWith(userId, [...toCheck]);
    const changed = new Set<string>();
    for (const c of candidates) if (c.private || c.userId === userId || sharing.has(c.userId)) changed.add(c.userId);
    for (const u of started) if (sharing.has(u)) changed.add(u);
    const left = [...ended].filter((u) => !sharing.has(u));
    return { changed: [...changed].sort(), left: left.sort() };
  }
}
