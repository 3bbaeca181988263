// The rooms concern, assembled once per homeserver: stores, the head cache, the write
// queue, and the operations the client API (and later the directory, room upgrade and
// /sync) call.
import type { Requester } from "../http/context.ts";
import { MatrixError } from "../http/errors.ts";
import { getRoomVersion, type RoomVersion } from "../matrix/room-versions.ts";
import type { EventNotifier } from "../notifier/notifier.ts";
import type { Clock } from "../observability/clock.ts";
import type { SigningKey } from "../matrix/signing.ts";
import { SigningPool } from "../matrix/signing-pool.ts";
import type { RateLimiters } from "../ratelimit/limiters.ts";
import type { Database } from "../storage/database.ts";
import { EventPersistStore } from "../storage/stores/event-persist.ts";
import { EventsStore } from "../storage/stores/events.ts";
import { RelationAggregatesStore } from "../storage/stores/relation-aggregates.ts";
import { RoomsStore } from "../storage/stores/rooms.ts";
import { StateGroupsStore } from "../storage/stores/state-groups.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import { NoRoomAliases, type RoomAliases } from "./aliases.ts";
import { EventSerializer } from "./client-format.ts";
import { createRoom, type CreateRoomOptions, type CreateRoomRequest } from "./create-room.ts";
import { EventWriter } from "./event-writer.ts";
import { MembershipService, type MembershipAction } from "./membership.ts";
import { RoomMessages } from "./messages.ts";
import { RoomRelations } from "./relations.ts";
import { RoomAccessChecker } from "./room-access.ts";
import { RoomEvents } from "./room-events.ts";
import { RoomHeadCache } from "./room-head.ts";
import { RoomReads } from "./room-reads.ts";
import { RoomSending } from "./send.ts";
import { VisibilityFilter } from "./visibility-filter.ts";
import { BlockedRoomsStore } from "../storage/stores/admin-blocked-rooms.ts";
import { RoomDirectoryStore } from "../storage/stores/room-directory.ts";
import { stateKey } from "../matrix/events.ts";
import { aliasesToValidate, checkAliasesPointTo } from "./canonical-alias.ts";
import { RestrictedJoins } from "./restricted-join.ts";

export interface RoomServiceDeps {
  serverName: string;
  clock: Clock;
  signingKey: SigningKey;
  database: Database;
  users: UsersStore;
  limiters: RateLimiters;
  notifier: EventNotifier;
  defaultRoomVersion?: string;
  /** How the write queue waits for more events before a commit (see EventWriter). */
  gather?: () => Promise<void>;
}

export class RoomService {
  readonly stores: { rooms: RoomsStore; events: EventsStore; stateGroups: StateGroupsStore; persist: EventPersistStore };
  readonly heads: RoomHeadCache;
  readonly writer: EventWriter;
  /** Signs bulk builds on a worker thread (started on first use). */
  readonly signingPool: SigningPool;
  /** The event creation pipeline: build, authorise, persist (for other concerns too). */
  readonly events: RoomEvents;
  readonly serializer: EventSerializer;
  readonly visibility: VisibilityFilter;
  readonly access: RoomAccessChecker;
  readonly membership: MembershipService;
  readonly sending: RoomSending;
  readonly reads: RoomReads;
  readonly messages: RoomMessages;
  readonly relations: RoomRelations;
  /** Alias resolution; the directory replaces the default. */
  aliases: RoomAliases = new NoRoomAliases();
  readonly #versions = new Map<string, RoomVersion>();

  constructor(private readonly deps: RoomServiceDeps) {
    const { database, clock } = deps;
    this.stores = {
      rooms: new RoomsStore(database),
      events: new EventsStore(database),
      stateGroups: new StateGroupsStore(database),
      persist: new EventPersistStore(database),
    };
    this.heads = new RoomHeadCache(this.stores.rooms, this.stores.stateGroups);
    this.writer = new EventWriter(this.stores.persist, this.heads, deps.notifier, undefined, deps.gather);
    this.signingPool = new SigningPool(deps.signingKey);
    this.events = new RoomEvents({
      serverName: deps.serverName,
      signingKey: deps.signingKey,
      clock,
      heads: this.heads,
      writer: this.writer,
      signingPool: this.signingPool,
    });
    this.serializer = new EventSerializer(this.stores.events, new RelationAggregatesStore(database), (roomId) => this.roomVersion(roomId));
    this.visibility = new VisibilityFilter(this.stores.stateGroups, this.stores.events);
    this.access = new RoomAccessChecker(this.heads, this.stores.rooms);
    // The admin API's table: read here so every membership path refuses blocked rooms.
    const blocked = new BlockedRoomsStore(database);
    this.membership = new MembershipService({
      serverName: deps.serverName,
      events: this.events,
      heads: this.heads,
      rooms: this.stores.rooms,
      users: deps.users,
      limiters: deps.limiters,
      isBlocked: (roomId) => blocked.isBlocked(roomId),
      restrictedJoins: new RestrictedJoins({ serverName: deps.serverName, rooms: this.stores.rooms, directory: new RoomDirectoryStore(database) }),
    });
    this.sending = new RoomSending({
      events: this.events,
      heads: this.heads,
      eventsStore: this.stores.events,
      limiters: deps.limiters,
      setMemberState: (requester, roomId, target, content) => this.#setMemberState(requester, roomId, target, content),
      checkState: (roomId, type, key, content) => this.#checkState(roomId, type, key, content),
    });
    const readDeps = {
      clock,
      rooms: this.stores.rooms,
      events: this.stores.events,
      stateGroups: this.stores.stateGroups,
      access: this.access,
      serializer: this.serializer,
      visibility: this.visibility,
    };
    this.reads = new RoomReads(readDeps);
    this.messages = new RoomMessages(readDeps);
    this.relations = new RoomRelations(readDeps);
  }

  createRoom(requester: Requester, req: CreateRoomRequest, opts?: CreateRoomOptions): Promise<{ roomId: string; alias?: string }> {
    return createRoom(
      {
        serverName: this.deps.serverName,
        signingKey: this.deps.signingKey,
        clock: this.deps.clock,
        defaultRoomVersion: this.deps.defaultRoomVersion,
        heads: this.heads,
        writer: this.writer,
        events: this.events,
        users: this.deps.users,
        limiters: this.deps.limiters,
        aliases: () => this.aliases,
      },
      requester,
      req,
      opts,
    );
  }

  /** A room id for `/join/{roomIdOrAlias}` and `/knock/{roomIdOrAlias}`; aliases go through `aliases`. */
  async resolveRoom(roomIdOrAlias: string): Promise<string | null> {
    if (roomIdOrAlias.startsWith("!")) return roomIdOrAlias;
    return (await this.aliases.resolve(roomIdOrAlias))?.roomId ?? null;
  }

  /** Re-sends the user's member event in every joined room (after a profile change). */
  updateProfileInRooms(userId: string): Promise<void> {
    return this.membership.updateProfileInRooms(userId);
  }

  async roomVersion(roomId: string): Promise<RoomVersion> {
    const known = this.#versions.get(roomId);
    if (known) return known;
    const room = await this.stores.rooms.get(roomId);
    const rv = room ? getRoomVersion(room.roomVersion) : undefined;
    if (!rv) throw new Error(`room ${roomId} has no known version`);
    this.#versions.set(roomId, rv);
    return rv;
  }

  /** Waits for queued events to commit (shutdown, tests). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Shutdown: lets queued events commit, then stops the signing worker. */
  async stop(): Promise<void> {
    await this.writer.flush();
    this.signingPool.close();
  }

  /** A canonical alias event's new aliases must exist and point to the room (400 M_BAD_ALIAS). */
  async #checkState(roomId: string, type: string, key: string, content: Record<string, unknown>): Promise<void> {
    if (type !== "m.room.canonical_alias") return;
    const previous = (await this.heads.get(roomId))?.state.get(stateKey(type, key))?.pdu.content;
    await checkAliasesPointTo(aliasesToValidate(content, previous), roomId, (alias) => this.aliases.resolve(alias));
  }

  async #setMemberState(requester: Requester, roomId: string, target: string, content: Record<string, unknown>): Promise<string> {
    const membership = content.membership;
    const { membership: _m, reason, ...extra } = content;
    let action: MembershipAction;
    if (membership === "join" || membership === "invite" || membership === "ban" || membership === "knock") {
      action = membership;
    } else if (membership === "leave") {
      const current = (await this.stores.rooms.membership(roomId, target))?.membership;
      action = target === requester.userId ? "leave" : current === "ban" ? "unban" : "kick";
    } else {
      throw new MatrixError(400, "M_BAD_JSON", "content.membership must be join, invite, leave, ban or knock");
    }
    return this.membership.update(requester, roomId, action, {
      target,
      reason: typeof reason === "string" ? reason : undefined,
      extra,
    });
  }
}
