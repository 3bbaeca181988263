// Room reads and interventions of the admin API: list, details, members, state, messages
// (without the membership and visibility checks clients get), blocking, joining users
// to rooms and making a local user room admin. Events go through the rooms service.
import { getLogger } from "@logtape/logtape";
import type { Requester } from "../http/context.ts";
import { MatrixError, notFound } from "../http/errors.ts";
import { stateKey, type ClientEvent } from "../matrix/events.ts";
import { parseUserId } from "../matrix/identifiers.ts";
import { roomCreators } from "../matrix/power-levels.ts";
import type { Clock } from "../observability/clock.ts";
import type { RoomService } from "../rooms/service.ts";
import { parseToken, tokenAfter, tokenBefore, topoToken } from "../rooms/tokens.ts";
import { membershipOf } from "../rooms/room-head.ts";
import { matchesEventFilter } from "../sync/filter-apply.ts";
import type { RoomEventFilter } from "../sync/filter.ts";
import type { AdminRoomsStore } from "../storage/stores/admin-rooms.ts";
import type { BlockedRoomsStore } from "../storage/stores/admin-blocked-rooms.ts";
import type { EventRow, TopoPosition } from "../storage/stores/events.ts";
import { filterAndSortRooms, roomDetailsFromState, roomListEntry, type RoomListEntry, type RoomListQuery } from "./room-summary.ts";
import { actingAs } from "./room-shutdown.ts";

const log = () => getLogger(["hearth", "admin", "rooms"]);

export interface RoomAdminDeps {
  serverName: string;
  clock: Clock;
  rooms: RoomService;
  store: AdminRoomsStore;
  blocked: BlockedRoomsStore;
}

export class RoomAdmin {
  constructor(private readonly deps: RoomAdminDeps) {}

  isLocal(userId: string): boolean {
    return parseUserId(userId)?.serverName === this.deps.serverName;
  }

  async list(q: RoomListQuery & { from: number; limit: number }): Promise<{ rooms: RoomListEntry[]; total: number }> {
    const all = filterAndSortRooms((await this.deps.store.facts()).map(roomListEntry), q);
    return { rooms: all.slice(q.from, q.from + q.limit), total: all.length };
  }

  async details(roomId: string): Promise<Record<string, unknown>> {
    const [facts] = await this.deps.store.facts([roomId]);
    if (!facts) throw notFound("Room not found");
    const entry = roomListEntry(facts);
    const members = (await this.deps.rooms.stores.rooms.members(roomId, "join")).map((m) => m.userId);
    const local = members.filter((u) => this.isLocal(u));
    const extra = roomDetailsFromState(facts);
    return {
      room_id: entry.room_id,
      name: entry.name,
      topic: extra.topic,
      avatar: extra.avatar,
      canonical_alias: entry.canonical_alias,
      joined_members: entry.joined_members,
      joined_local_members: entry.joined_local_members,
      joined_local_devices: await this.deps.store.countDevices(local),
      version: entry.version,
      creator: entry.creator,
      encryption: entry.encryption,
      federatable: entry.federatable,
      public: entry.public,
      join_rules: entry.join_rules,
      guest_access: entry.guest_access,
      history_visibility: entry.history_visibility,
      state_events: entry.state_events,
      room_type: entry.room_type,
      forgotten: await this.deps.store.isLocallyForgotten(roomId),
      tombstoned: extra.tombstoned,
      replacement_room: extra.replacement_room,
    };
  }

  async requireRoom(roomId: string): Promise<void> {
    if (!(await this.deps.rooms.stores.rooms.get(roomId))) throw notFound("Room not found");
  }

  /** Joined members, as Synapse's get_users_in_room. */
  async members(roomId: string): Promise<string[]> {
    await this.requireRoom(roomId);
    return (await this.deps.rooms.stores.rooms.members(roomId, "join")).map((m) => m.userId);
  }

  async state(roomId: string, type?: string): Promise<ClientEvent[]> {
    await this.requireRoom(roomId);
    const { rooms } = this.deps;
    const current = await rooms.stores.rooms.currentState(roomId, type ? { types: [type] } : {});
    const rows = [...(await rooms.stores.events.getMany(current.map((r) => r.eventId))).values()];
    return this.#serialize(rows);
  }

  /** /messages for an admin: every event, whatever the history visibility. */
  async messages(roomId: string, q: { dir: "b" | "f"; from?: string; to?: string; limit: number; filter?: RoomEventFilter }) {
    await this.requireRoom(roomId);
    const events = this.deps.rooms.stores.events;
    const position = async (token: string, name: string): Promise<TopoPosition | undefined> => {
      const t = parseToken(token, name);
      if (t.kind === "topo") return { depth: t.depth, stream: t.stream };
      const row = await events.lastAtOrBeforeStream(roomId, t.stream);
      return row ? { depth: row.depth, stream: row.streamOrdering } : undefined;
    };
    const from = q.from !== undefined ? await position(q.from, "from") : undefined;
    const to = q.to !== undefined ? await position(q.to, "to") : undefined;
    let start = q.from;
    if (start === undefined) {
      const latest = q.dir === "b" ? await events.latest(roomId) : undefined;
      start = latest ? tokenAfter(latest) : topoToken(0, 0);
    }
    if (q.from !== undefined && from === undefined && q.dir === "b") return { chunk: [], start };
    const page = await events.page({ roomId, dir: q.dir, from, to, limit: q.limit });
    const matching = page.filter((r) => matchesEventFilter(q.filter, { type: r.type, sender: r.sender, roomId: r.roomId, content: contentOf(r) }));
    const out: { chunk: ClientEvent[]; start: string; end?: string } = { chunk: await this.#serialize(matching), start };
    const last = page.at(-1);
    if (last && page.length === q.limit) out.end = q.dir === "b" ? tokenBefore(last) : tokenAfter(last);
    return out;
  }

  async blockStatus(roomId: string): Promise<{ block: boolean; user_id?: string }> {
    const row = await this.deps.blocked.get(roomId);
    return row ? { block: true, user_id: row.userId } : { block: false };
  }

  async setBlocked(admin: string, roomId: string, block: boolean): Promise<void> {
    if (block) await this.deps.blocked.block(roomId, admin, this.deps.clock.now());
    else await this.deps.blocked.unblock(roomId);
    log().info("Room {roomId} {what} by {admin}", { roomId, what: block ? "blocked" : "unblocked", admin });
  }

  /** A room id from a room id or a local alias; 404 for an alias nobody knows. */
  async resolve(roomIdOrAlias: string): Promise<string> {
    if (!roomIdOrAlias.startsWith("!") && !roomIdOrAlias.startsWith("#")) {
      throw new MatrixError(400, "M_INVALID_PARAM", `${roomIdOrAlias} was not legal room ID or room alias`);
    }
    const roomId = await this.deps.rooms.resolveRoom(roomIdOrAlias);
    if (!roomId) throw notFound(`Unknown room ID or room alias ${roomIdOrAlias}`);
    return roomId;
  }

  /**
   * Joins a local user to a room, inviting them first (as the admin) when the room is
   * not public, as Synapse does.
   */
  async join(admin: Requester, roomId: string, userId: string): Promise<void> {
    const { rooms } = this.deps;
    if (await this.deps.blocked.isBlocked(roomId)) throw new MatrixError(403, "M_FORBIDDEN", "This room has been blocked on this server");
    const head = await rooms.heads.get(roomId);
    if (!head) throw notFound("No known servers");
    const joinRule = head.state.get(stateKey("m.room.join_rules", ""))?.pdu.content?.join_rule;
    await rooms.heads.loadMembers(head, [userId]);
    if (joinRule !== "public" && membershipOf(head, userId) !== "join") {
      await rooms.membership.update(admin, roomId, "invite", { target: userId, ratelimit: false });
    }
    await rooms.membership.update(actingAs(userId, admin.userId), roomId, "join", { ratelimit: false });
  }

  /**
   * Gives `userId` the power level of the most powerful joined local user, by sending the
   * power levels as that user; invites `userId` when they are not in a non-public room.
   */
  async makeRoomAdmin(admin: Requester, roomId: string, userId: string): Promise<void> {
    const { rooms } = this.deps;
    const head = await rooms.heads.get(roomId);
    if (!head) throw new MatrixError(400, "M_UNKNOWN", "Server not in room");
    const plEvent = head.state.get(stateKey("m.room.power_levels", ""));
    let grantor: string | undefined;
    let plContent: Record<string, unknown> = {};
    if (plEvent) {
      plContent = plEvent.pdu.content ?? {};
      const users = (plContent.users ?? {}) as Record<string, number>;
      const candidates = Object.keys(users).filter((u) => this.isLocal(u));
      candidates.sort((a, b) => Number(users[a]) - Number(users[b]));
      // Since room v12 creators hold unlimited power without being in `users`.
      if (head.roomVersion.privilegedCreators) {
        const state = new Map(head.state).set(stateKey("m.room.create", ""), head.create);
        for (const creator of roomCreators(state, head.roomVersion)) if (this.isLocal(creator)) candidates.push(creator);
      }
      if (candidates.length === 0) throw new MatrixError(400, "M_UNKNOWN", "No local admin user in room");
      await rooms.heads.loadMembers(head, candidates);
      grantor = [...candidates].reverse().find((u) => membershipOf(head, u) === "join");
      if (!grantor) throw new MatrixError(400, "M_UNKNOWN", "No local admin user in room");
    } else {
      grantor = head.create.pdu.sender;
      if (!this.isLocal(grantor)) throw new MatrixError(400, "M_UNKNOWN", "No local admin user in room");
    }
    const users = { ...((plContent.users ?? {}) as Record<string, unknown>) };
    users[userId] = users[grantor] ?? 100;
    try {
      await rooms.events.create(roomId, [{ type: "m.room.power_levels", stateKey: "", content: { ...plContent, users }, sender: grantor }]);
    } catch (err) {
      if (err instanceof MatrixError && err.status === 403) {
        throw new MatrixError(400, "M_UNKNOWN", "No local admin user in room with power to update power levels.");
      }
      throw err;
    }
    await rooms.heads.loadMembers(head, [userId]);
    const membership = membershipOf(head, userId);
    if (membership === "join" || membership === "invite") return;
    if (head.state.get(stateKey("m.room.join_rules", ""))?.pdu.content?.join_rule === "public") return;
    await rooms.membership.update(actingAs(grantor, admin.userId), roomId, "invite", { target: userId, ratelimit: false });
  }

  #serialize(rows: EventRow[]): Promise<ClientEvent[]> {
    return this.deps.rooms.serializer.serialize(rows, { now: this.deps.clock.now() });
  }
}

function contentOf(row: EventRow): Record<string, unknown> {
  try {
    return (JSON.parse(row.pdu) as { content?: Record<string, unknown> }).content ?? {};
  } catch {
    return {};
  }
}
