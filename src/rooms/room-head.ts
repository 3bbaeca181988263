// The in-memory head of a room: what building the next event needs (room version,
// current non-member state, the members it has looked at, forward extremities, depth),
// kept per homeserver so sends do not re-read state. The head runs ahead of the
// database: an event updates it when it is built, before its transaction commits, so
// the next event can chain onto it. If a commit fails the head is dropped (`invalid`)
// and every event built on it fails too; the next request reloads it from the database.
// One process writes a room: before several processes share a database, writes to a
// room must be routed to one process (or heads invalidated by the others' commits).
import { stateKey, type PDU, type StateMap, type StoredEvent } from "../matrix/events.ts";
import { getRoomVersion, type RoomVersion } from "../matrix/room-versions.ts";
import type { StateGroupInfo, StateGroupsStore } from "../storage/stores/state-groups.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";

export interface RoomHead {
  readonly roomId: string;
  readonly roomVersion: RoomVersion;
  readonly create: StoredEvent;
  /** Current state without m.room.member, complete. */
  readonly state: StateMap;
  /** Member events looked at so far; null = no membership. Complete when `allMembersKnown`. */
  readonly members: Map<string, StoredEvent | null>;
  allMembersKnown: boolean;
  extremities: string[];
  depth: number;
  /** Events built on this head whose transaction has not committed yet. */
  pending: number;
  /** The state group after the last committed event (the writer's view). */
  persistedStateGroup: StateGroupInfo | null;
  invalid: boolean;
}

export function memberOf(head: RoomHead, userId: string): StoredEvent | null | undefined {
  const known = head.members.get(userId);
  if (known !== undefined) return known;
  return head.allMembersKnown ? null : undefined;
}

export function membershipOf(head: RoomHead, userId: string): string | undefined {
  const m = memberOf(head, userId)?.pdu.content?.membership;
  return typeof m === "string" ? m : undefined;
}

/** The state entry for (type, key) in the head; undefined when it is a member not loaded yet. */
export function headStateEntry(head: RoomHead, type: string, key: string): StoredEvent | null | undefined {
  if (type === "m.room.member") return memberOf(head, key);
  if (type === "m.room.create" && key === "") return head.create;
  return head.state.get(stateKey(type, key)) ?? null;
}

/** Heads of rooms, loaded on demand and bounded by an LRU that never evicts a busy head. */
export class RoomHeadCache {
  readonly #heads = new Map<string, RoomHead>();
  readonly #loading = new Map<string, Promise<RoomHead | null>>();
  /** Ids of rooms being created, so two creations cannot claim the same id. */
  readonly #reserved = new Set<string>();
  /** For the cache metrics. */
  readonly #counts = { hits: 0, misses: 0, evictedSize: 0, evictedInvalidation: 0 };

  constructor(
    private readonly rooms: RoomsStore,
    private readonly stateGroups: StateGroupsStore,
    private readonly maxRooms = 2000,
  ) {}

  /** The room's head, or null for a room this server does not know. */
  async get(roomId: string): Promise<RoomHead | null> {
    const head = this.#heads.get(roomId);
    if (head && !head.invalid) return this.#hit(head);
    this.#counts.misses++;
    let loading = this.#loading.get(roomId);
    if (!loading) {
      loading = this.#load(roomId).finally(() => this.#loading.delete(roomId));
      this.#loading.set(roomId, loading);
    }
    return loading;
  }

  /**
   * The room's head when it is cached, current and has `userIds`' member events loaded:
   * what get and loadMembers would give, without their awaits (a send's usual case).
   */
  cached(roomId: string, userIds: readonly string[]): RoomHead | undefined {
    const head = this.#heads.get(roomId);
    if (!head || head.invalid) return undefined;
    for (const u of userIds) if (memberOf(head, u) === undefined) return undefined;
    return this.#hit(head);
  }

  /** Counts a cache hit and moves the head to the most recently used end. */
  #hit(head: RoomHead): RoomHead {
    this.#counts.hits++;
    this.#heads.delete(head.roomId);
    this.#heads.set(head.roomId, head);
    return head;
  }

  /** Whether `head` is still the one in use for its room (not evicted, not failed). */
  isCurrent(head: RoomHead): boolean {
    return !head.invalid && this.#heads.get(head.roomId) === head;
  }

  /**
   * Claims `roomId` for a room about to be created; false when a room with that id
   * exists or is being created (v12 ids derive from the create event, so two identical
   * create events in the same millisecond would collide).
   */
  async reserve(roomId: string): Promise<boolean> {
    if (this.#heads.has(roomId) || this.#reserved.has(roomId)) return false;
    this.#reserved.add(roomId);
    if (await this.rooms.get(roomId)) {
      this.#reserved.delete(roomId);
      return false;
    }
    return true;
  }

  release(roomId: string): void {
    this.#reserved.delete(roomId);
  }

  /** Registers the head of a room being created (its id reserved with `reserve`). */
  add(head: RoomHead): void {
    this.#reserved.delete(head.roomId);
    this.#heads.set(head.roomId, head);
    this.#evict();
  }

  /** Drops a head whose events failed to persist. */
  invalidate(head: RoomHead): void {
    head.invalid = true;
    if (this.#heads.get(head.roomId) === head && this.#heads.delete(head.roomId)) this.#counts.evictedInvalidation++;
  }

  /** Size, lookups and evictions, in the shape the cache metrics read. */
  cacheStats() {
    const c = this.#counts;
    return {
      size: this.#heads.size,
      maxSize: this.maxRooms,
      hits: c.hits,
      misses: c.misses,
      evicted: { size: c.evictedSize, invalidation: c.evictedInvalidation },
    };
  }

  /** Loads the given members into the head (those not already known). */
  async loadMembers(head: RoomHead, userIds: string[]): Promise<void> {
    const missing = userIds.filter((u) => memberOf(head, u) === undefined);
    if (missing.length === 0) return;
    const rows = await this.rooms.memberEvents(head.roomId, missing);
    for (const userId of missing) {
      // An event built while we awaited is newer than what the database returned.
      if (head.members.has(userId)) continue;
      const row = rows.get(userId);
      head.members.set(userId, row ? { eventId: row.eventId, pdu: JSON.parse(row.pdu) as PDU } : null);
    }
  }

  async #load(roomId: string): Promise<RoomHead | null> {
    const room = await this.rooms.get(roomId);
    if (!room) return null;
    const roomVersion = getRoomVersion(room.roomVersion);
    if (!roomVersion) throw new Error(`room ${roomId} has unknown version ${room.roomVersion}`);
    const [stateRows, extremities] = await Promise.all([
      this.rooms.currentState(roomId, { excludeTypes: ["m.room.member"] }),
      this.rooms.forwardExtremities(roomId),
    ]);
    const state: StateMap = new Map();
    let create: StoredEvent | undefined;
    for (const r of stateRows) {
      const entry = { eventId: r.eventId, pdu: JSON.parse(r.pdu) as PDU };
      if (r.type === "m.room.create" && r.stateKey === "") create = entry;
      else state.set(stateKey(r.type, r.stateKey), entry);
    }
    if (!create || extremities.length === 0) throw new Error(`room ${roomId} has no create event or no extremities`);
    const last = extremities.reduce((a, b) => (b.streamOrdering > a.streamOrdering ? b : a));
    const head: RoomHead = {
      roomId,
      roomVersion,
      create,
      state,
      members: new Map(),
      allMembersKnown: false,
      extremities: extremities.map((e) => e.eventId),
      depth: Math.max(...extremities.map((e) => e.depth)),
      pending: 0,
      persistedStateGroup: (await this.stateGroups.info(last.stateGroup)) ?? null,
      invalid: false,
    };
    const raced = this.#heads.get(roomId);
    if (raced && !raced.invalid) return raced;
    this.#heads.set(roomId, head);
    this.#evict();
    return head;
  }

  #evict(): void {
    if (this.#heads.size <= this.maxRooms) return;
    for (const [roomId, head] of this.#heads) {
      if (this.#heads.size <= this.maxRooms) break;
      if (head.pending === 0 && this.#heads.delete(roomId)) this.#counts.evictedSize++;
    }
  }
}
