// Wakes long-polling readers (/sync, later /events) when something they care about is
// written. Only in-process now; a PostgreSQL LISTEN/NOTIFY implementation can serve the
// same interface when several processes share a database (it would call onNewEvent /
// wakeUsers for writes of other processes).
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";

export interface NewEventInfo {
  type: string;
  stateKey?: string | null;
  sender: string;
  /** content.membership for m.room.member events. */
  membership?: string | null;
}

export interface WaitRequest {
  userId: string;
  /** The rooms the user can see events of (joined, invited, peeking...). */
  roomIds: Iterable<string>;
  /** Return at once if an event newer than this stream position concerns the waiter. */
  since: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface WaitResult {
  /** Why the wait ended. */
  reason: "event" | "woken" | "timeout" | "aborted";
  /** The latest event stream position the notifier has seen. */
  position: number;
}

/**
 * Work that must finish before waiters hear of a new event, e.g. push rule
 * evaluation, so a woken /sync already sees the event's unread counts. Runs
 * after the commit, one event at a time in stream order.
 */
export type EventProcessor = (roomId: string, streamOrdering: number, event: NewEventInfo) => Promise<void> | void;

/** A new event at its stream position. */
export interface NewEventAt {
  roomId: string;
  streamOrdering: number;
  event: NewEventInfo;
}

export interface EventNotifier {
  /** Called by the event writer after a commit, in stream order. */
  onNewEvent(roomId: string, streamOrdering: number, event: NewEventInfo): void;
  /** `onNewEvent` for each of a commit's events, in stream order. */
  onNewEvents(events: readonly NewEventAt[]): void;
  /** Wakes waiters of these users for other streams (to-device, account data, receipts...). */
  wakeUsers(userIds: Iterable<string>): void;
  /** Wakes every waiter watching the room (typing, receipts...). */
  wakeRoom(roomId: string): void;
  waitForEvents(req: WaitRequest): Promise<WaitResult>;
  /** The latest event stream position seen. */
  readonly position: number;
}

interface Waiter {
  userId: string;
  roomIds: string[];
  finish(reason: WaitResult["reason"]): void;
}

/**
 * The in-process notifier. Remembers the last event position per room and per user
 * (the target of a member event), so a waiter whose `since` is already behind returns
 * at once instead of missing an event written between its read and its wait.
 */
export class Notifier implements EventNotifier {
  #position = 0;
  readonly #roomPositions = new Map<string, number>();
  readonly #userPositions = new Map<string, number>();
  readonly #byRoom = new Map<string, Set<Waiter>>();
  readonly #byUser = new Map<string, Set<Waiter>>();
  readonly #processors = new Set<EventProcessor>();
  /** The tail of events waiting for processors; undefined when none are. */
  #chain: Promise<void> | undefined;
  #parked = 0;

  constructor(private readonly clock: Clock) {}

  get position(): number {
    return this.#position;
  }

  /** Number of waiters currently parked (for metrics, tests and the turn gate). */
  get waiting(): number {
    return this.#parked;
  }

  /** Rooms at least one parked waiter watches (synapse_notifier_rooms). */
  get watchedRooms(): number {
    return this.#byRoom.size;
  }

  /** Users with at least one parked waiter (synapse_notifier_users). */
  get watchedUsers(): number {
    return this.#byUser.size;
  }

  /**
   * Registers work to run for each new event before it is published to waiters
   * (added by the sync module; see EventProcessor). Returns the unregister function.
   */
  addEventProcessor(processor: EventProcessor): () => void {
    this.#processors.add(processor);
    return () => this.#processors.delete(processor);
  }

  /** Resolves once every event handed to onNewEvent so far has been published. */
  async flush(): Promise<void> {
    // The tail at this moment follows every earlier event; later ones are not waited for.
    await this.#chain;
  }

  onNewEvent(roomId: string, streamOrdering: number, event: NewEventInfo): void {
    this.onNewEvents([{ roomId, streamOrdering, event }]);
  }

  onNewEvents(events: readonly NewEventAt[]): void {
    if (events.length === 0) return;
    if (this.#processors.size === 0 && !this.#chain) {
      for (const e of events) this.#publish(e.roomId, e.streamOrdering, e.event);
      return;
    }
    // Processors run one event at a time, so events are still published in stream order.
    // One link of the chain for the whole commit: a room upgrade's 10,000 bans are one.
    const chain: Promise<void> = (this.#chain ?? Promise.resolve()).then(async () => {
      for (const e of events) {
        for (const p of [...this.#processors]) {
          try {
            await p(e.roomId, e.streamOrdering, e.event);
          } catch (err) {
            getLogger(["hearth", "notifier"]).error("Event processor failed for {roomId} at {pos}: {error}", {
              roomId: e.roomId,
              pos: e.streamOrdering,
              error: err,
            });
          }
        }
        this.#publish(e.roomId, e.streamOrdering, e.event);
      }
      if (this.#chain === chain) this.#chain = undefined;
    });
    this.#chain = chain;
  }

  #publish(roomId: string, streamOrdering: number, event: NewEventInfo): void {
    if (streamOrdering > this.#position) this.#position = streamOrdering;
    this.#roomPositions.set(roomId, streamOrdering);
    this.#wakeAll(this.#byRoom.get(roomId), "event");
    // A user invited to (or kicked from) a room does not watch it yet, or any more.
    if (event.type === "m.room.member" && typeof event.stateKey === "string") {
      this.#userPositions.set(event.stateKey, streamOrdering);
      this.#wakeAll(this.#byUser.get(event.stateKey), "event");
    }
  }

  wakeUsers(userIds: Iterable<string>): void {
    for (const u of userIds) this.#wakeAll(this.#byUser.get(u), "woken");
  }

  wakeRoom(roomId: string): void {
    this.#wakeAll(this.#byRoom.get(roomId), "woken");
  }

  waitForEvents(req: WaitRequest): Promise<WaitResult> {
    const roomIds = [...req.roomIds];
    const behind =
      (this.#userPositions.get(req.userId) ?? 0) > req.since ||
      roomIds.some((r) => (this.#roomPositions.get(r) ?? 0) > req.since);
    if (behind) return Promise.resolve({ reason: "event", position: this.#position });
    if (req.signal?.aborted) return Promise.resolve({ reason: "aborted", position: this.#position });
    if (req.timeoutMs <= 0) return Promise.resolve({ reason: "timeout", position: this.#position });

    return new Promise((resolve) => {
      let done = false;
      const onAbort = () => waiter.finish("aborted");
      const timer = this.clock.callLater(req.timeoutMs, () => waiter.finish("timeout"));
      const waiter: Waiter = {
        userId: req.userId,
        roomIds,
        finish: (reason) => {
          if (done) return;
          done = true;
          timer.cancel();
          req.signal?.removeEventListener("abort", onAbort);
          this.#remove(waiter);
          resolve({ reason, position: this.#position });
        },
      };
      req.signal?.addEventListener("abort", onAbort);
      this.#add(waiter);
    });
  }

  #add(w: Waiter): void {
    this.#parked++;
    for (const r of w.roomIds) getOrCreate(this.#byRoom, r).add(w);
    getOrCreate(this.#byUser, w.userId).add(w);
  }

  #remove(w: Waiter): void {
    this.#parked--;
    for (const r of w.roomIds) deleteFrom(this.#byRoom, r, w);
    deleteFrom(this.#byUser, w.userId, w);
  }

  #wakeAll(set: Set<Waiter> | undefined, reason: WaitResult["reason"]): void {
    if (!set) return;
    for (const w of [...set]) w.finish(reason);
  }
}

function getOrCreate<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

function deleteFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
