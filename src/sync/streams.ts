import type { Notifier } from "../notifier/notifier.ts";
import { STREAM_KEYS, type StreamKey, type SyncToken } from "./token.ts";

/** Whom a change on a stream concerns. */
export interface ChangeTarget {
  rooms?: Iterable<string>;
  users?: Iterable<string>;
  /** Possibly anyone (presence: everyone sharing a room with the user). */
  everyone?: boolean;
}

/**
 * Where one stream last changed for each room and user, since this process
 * started. Questions about positions before `start` are answered "maybe", so
 * a token from before a restart always gets a real look at the database.
 */
export class StreamChangeLog {
  readonly #rooms = new Map<string, number>();
  readonly #users = new Map<string, number>();
  #everyone = 0;
  position: number;

  constructor(readonly start: number) {
    this.position = start;
  }

  record(position: number, target: ChangeTarget): void {
    if (position > this.position) this.position = position;
    for (const r of target.rooms ?? []) this.#rooms.set(r, Math.max(position, this.#rooms.get(r) ?? 0));
    for (const u of target.users ?? []) this.#users.set(u, Math.max(position, this.#users.get(u) ?? 0));
    if (target.everyone) this.#everyone = Math.max(this.#everyone, position);
  }

  /** False only when nothing after `since` can concern the user or the rooms. */
  mayHaveChanged(since: number, userId: string, rooms: Iterable<string>): boolean {
    if (since >= this.position) return false;
    if (since < this.start || this.#everyone > since) return true;
    if ((this.#users.get(userId) ?? 0) > since) return true;
    for (const r of rooms) if ((this.#rooms.get(r) ?? 0) > since) return true;
    return false;
  }

  /** The rooms that changed after `since`, or undefined when that is not known in memory. */
  roomsChangedSince(since: number): Set<string> | undefined {
    if (since < this.start) return undefined;
    const out = new Set<string>();
    if (since >= this.position) return out;
    for (const [r, p] of this.#rooms) if (p > since) out.add(r);
    return out;
  }

  /** Whether `roomId` changed after `since`; true when unknown. */
  roomChangedSince(roomId: string, since: number): boolean {
    if (since >= this.position) return false;
    if (since < this.start) return true;
    return (this.#rooms.get(roomId) ?? 0) > since;
  }

  userChangedSince(userId: string, since: number): boolean {
    if (since >= this.position) return false;
    if (since < this.start) return true;
    return (this.#users.get(userId) ?? 0) > since;
  }
}

/**
 * The current position of every /sync stream and the in-memory record of what
 * changed where. Writers of a stream call `changed` after their commit; it
 * records the change and wakes the long-polls it concerns. Another module's
 * stream (to_device, device_lists from E2EE) is plugged in the same way:
 *
 *   services.sync.streams.changed("to_device", position, { users: [userId] });
 */
export class SyncStreams {
  readonly #logs = new Map<StreamKey, StreamChangeLog>();

  constructor(
    private readonly notifier: Notifier,
    start: SyncToken,
  ) {
    for (const k of STREAM_KEYS) this.#logs.set(k, new StreamChangeLog(start[k]));
  }

  log(stream: StreamKey): StreamChangeLog {
    return this.#logs.get(stream)!;
  }

  /** The token of "now": every stream at its latest committed position. */
  current(): SyncToken {
    const out = {} as SyncToken;
    for (const k of STREAM_KEYS) out[k] = this.#logs.get(k)!.position;
    return out;
  }

  /**
   * Records a committed change and wakes the long-polls it concerns. The events
   * stream is woken by the notifier itself, so `wake` is false for it.
   */
  changed(stream: StreamKey, position: number, target: ChangeTarget, wake = stream !== "events"): void {
    this.#logs.get(stream)!.record(position, target);
    if (!wake) return;
    if (target.users) this.notifier.wakeUsers(target.users);
    for (const r of target.rooms ?? []) this.notifier.wakeRoom(r);
  }

  /**
   * Catches up with positions read from the database. A writer that did not
   * call `changed` is still seen this way; not knowing whom its change
   * concerns, every user is told to look.
   */
  catchUp(positions: Partial<Record<StreamKey, number>>): void {
    for (const [k, pos] of Object.entries(positions) as Array<[StreamKey, number]>) {
      const log = this.#logs.get(k);
      if (log && pos > log.position) log.record(pos, { everyone: true });
    }
  }

  /** The streams (other than events, which the notifier checks) that may have news for this user. */
  changedStreams(since: SyncToken, userId: string, rooms: readonly string[]): StreamKey[] {
    const out: StreamKey[] = [];
    for (const k of STREAM_KEYS) {
      if (k === "events") continue;
      if (this.#logs.get(k)!.mayHaveChanged(since[k], userId, rooms)) out.push(k);
    }
    return out;
  }
}
