// POST /rooms/{roomId}/upgrade (behaviour spec §7): a new room on the new version whose
// create event names its predecessor, the relevant state copied, every ban copied in one
// transaction, then the tombstone in the old room, the local aliases and directory entry
// moved, per-user room data copied, the old room muted and the new room's power levels
// restored. The caller spends the room-creation rate limit first (§3.6).
import { getLogger } from "@logtape/logtape";
import type { Requester } from "../http/context.ts";
import { MatrixError, invalidParam, notFound } from "../http/errors.ts";
import { stateKey, type StoredEvent } from "../matrix/events.ts";
import { isValidUserId } from "../matrix/identifiers.ts";
import { userPowerLevel } from "../matrix/power-levels.ts";
import { CREATABLE_ROOM_VERSIONS, getRoomVersion, type RoomVersion } from "../matrix/room-versions.ts";
import type { SigningKey } from "../matrix/signing.ts";
import type { Clock } from "../observability/clock.ts";
import type { RoomDirectoryStore } from "../storage/stores/room-directory.ts";
import type { AccountDataService } from "../accounts/account-data.ts";
import type { RoomAliases } from "./aliases.ts";
import { splitCanonicalAlias } from "./canonical-alias.ts";
import { randomRoomId } from "./create-room.ts";
import { powerState } from "./directory-permissions.ts";
import { buildOnHead, restoreHead, snapshotHead, type NewEvent } from "./event-builder.ts";
import type { RoomHead } from "./room-head.ts";
import type { RoomService } from "./service.ts";
import { creationPowerLevels, finalPowerLevels, mutedOldPowerLevels, normalisePowerLevels } from "./upgrade-power-levels.ts";
import { copyUserRoomData } from "./upgrade-user-data.ts";

const log = () => getLogger(["hearth", "rooms", "upgrade"]);

/** How long a finished upgrade answers repeats by the same user (and refuses others). */
export const UPGRADE_CACHE_MS = 5 * 60_000;

/** State copied verbatim into the new room (§7.4); power levels and space children apart. */
const COPIED_STATE = [
  "m.room.join_rules",
  "m.room.name",
  "m.room.topic",
  "m.room.history_visibility",
  "m.room.guest_access",
  "m.room.avatar",
  "m.room.encryption",
  "m.room.server_acl",
];

export interface RoomUpgradeDeps {
  serverName: string;
  clock: Clock;
  signingKey: SigningKey;
  rooms: RoomService;
  directory: RoomDirectoryStore;
  /** Copies tags and m.direct entries of local members; omitted, they stay behind. */
  accountData?: AccountDataService;
}

interface Upgrade {
  userId: string;
  result: Promise<string>;
  doneAt: number | null;
}

export class RoomUpgrades {
  /** Upgrades in flight or finished within UPGRADE_CACHE_MS, per old room. */
  readonly #recent = new Map<string, Upgrade[]>();

  constructor(private readonly deps: RoomUpgradeDeps) {}

  /** Returns the replacement room's id. */
  async upgrade(requester: Requester, oldRoomId: string, newVersion: string, additionalCreators?: unknown): Promise<string> {
    const userId = requester.userId;
    if (requester.isGuest) throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access not allowed");
    const rv = getRoomVersion(newVersion);
    if (!rv || !CREATABLE_ROOM_VERSIONS.includes(newVersion)) {
      throw new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", "Your homeserver does not support this room version");
    }
    let creators: string[] = [];
    if (rv.privilegedCreators && additionalCreators !== undefined && additionalCreators !== null) {
      if (!Array.isArray(additionalCreators) || !additionalCreators.every((u) => typeof u === "string" && isValidUserId(u, { historical: true }))) {
        throw invalidParam("additional_creators must be a list of user ids");
      }
      creators = [...new Set(additionalCreators as string[])].filter((u) => u !== userId);
    }
    this.#refuseOthers(oldRoomId, userId);
    const room = await this.deps.rooms.stores.rooms.get(oldRoomId);
    if (!room) throw notFound(`Unknown room id ${oldRoomId}`);
    const head = await this.#checkTombstoneAllowed(oldRoomId, userId);

    // From here to registering the upgrade nothing awaits, so two requests cannot both pass.
    this.#refuseOthers(oldRoomId, userId);
    const mine = this.#live(oldRoomId).find((u) => u.userId === userId);
    if (mine) return mine.result;
    const entry: Upgrade = { userId, result: Promise.resolve(""), doneAt: null };
    entry.result = this.#run(requester, head, rv, creators, room.isPublic).then(
      (newRoomId) => {
        entry.doneAt = this.deps.clock.now();
        return newRoomId;
      },
      (err: unknown) => {
        this.#forget(oldRoomId, entry);
        throw err;
      },
    );
    this.#recent.set(oldRoomId, [...this.#live(oldRoomId), entry]);
    return entry.result;
  }

  #live(oldRoomId: string): Upgrade[] {
    const now = this.deps.clock.now();
    for (const [roomId, list] of this.#recent) {
      const live = list.filter((u) => u.doneAt === null || now - u.doneAt < UPGRADE_CACHE_MS);
      if (live.length === 0) this.#recent.delete(roomId);
      else if (live.length !== list.length) this.#recent.set(roomId, live);
    }
    return this.#recent.get(oldRoomId) ?? [];
  }

  #refuseOthers(oldRoomId: string, userId: string): void {
    if (this.#live(oldRoomId).some((u) => u.userId !== userId)) {
      throw new MatrixError(400, "M_UNKNOWN", "An upgrade for this room is currently in progress");
    }
  }

  #forget(oldRoomId: string, entry: Upgrade): void {
    const rest = (this.#recent.get(oldRoomId) ?? []).filter((u) => u !== entry);
    if (rest.length === 0) this.#recent.delete(oldRoomId);
    else this.#recent.set(oldRoomId, rest);
  }

  /** Authorises a tombstone by the user on the old room's head without sending it (403 when refused). */
  async #checkTombstoneAllowed(roomId: string, userId: string): Promise<RoomHead> {
    const { rooms } = this.deps;
    const head = await rooms.heads.get(roomId);
    if (!head) throw notFound(`Unknown room id ${roomId}`);
    await rooms.heads.loadMembers(head, [userId]);
    const probe = tombstone(userId, roomId);
    const snapshot = snapshotHead(head, [probe]);
    try {
      buildOnHead(head, probe, { serverName: this.deps.serverName, signingKey: this.deps.signingKey, now: this.deps.clock.now() });
    } finally {
      restoreHead(head, snapshot);
    }
    return head;
  }

  async #run(requester: Requester, oldHead: RoomHead, rv: RoomVersion, creators: string[], wasPublic: boolean): Promise<string> {
    const { rooms } = this.deps;
    const userId = requester.userId;
    const oldRoomId = oldHead.roomId;
    const oldState = (type: string) => oldHead.state.get(stateKey(type, ""));
    const oldPowerLevels = oldState("m.room.power_levels")?.pdu.content;
    const normalised = oldPowerLevels ? normalisePowerLevels(oldPowerLevels) : undefined;

    // The replacement room, created and given the old room's bans.
    const createReplacement = async (opts: { roomId?: string; tombstoneId?: string }) => {
      const { roomId: newRoomId } = await rooms.createRoom(
        requester,
        {
          room_version: rv.id,
          preset: "private_chat",
          visibility: wasPublic ? "public" : "private",
          creation_content: creationContent(oldHead, rv, creators, opts.tombstoneId),
          initial_state: initialState(oldHead, normalised && creationPowerLevels(normalised, userId, rv, [userId, ...creators])),
        },
        { roomId: opts.roomId },
      );
      log().info("Creating new room {newRoomId} to replace {oldRoomId}", { newRoomId, oldRoomId });
      await this.#copyBans(oldRoomId, newRoomId, userId);
      return newRoomId;
    };

    let newRoomId: string;
    if (rv.roomIdIsCreateEventHash) {
      // The id derives from the create event, which therefore cannot name the tombstone (§7.3 step 4).
      newRoomId = await createReplacement({});
      await rooms.events.create(oldRoomId, [tombstone(userId, newRoomId)]);
    } else {
      // The create event names the tombstone, so the tombstone is built first, but it is only
      // persisted once the new room is complete (clients following it must find the room).
      // Meanwhile the old room is held: an event built on the unsent tombstone would be
      // persisted before it, on a prev event not yet stored, so other senders wait instead.
      newRoomId = await rooms.events.withRoomHeld(oldRoomId, async (held) => {
        const roomId = randomRoomId(this.deps.serverName);
        const built = await held.build([tombstone(userId, roomId)]);
        await createReplacement({ roomId, tombstoneId: built[0]!.eventId });
        await held.submit(built);
        return roomId;
      });
    }
    await this.#moveAliases(oldRoomId, newRoomId, userId, oldState("m.room.canonical_alias"));
    if (wasPublic) await rooms.stores.rooms.setPublic(oldRoomId, false);
    if (this.deps.accountData) {
      const locals = await this.deps.directory.localJoinedMembers(oldRoomId, this.deps.serverName);
      await copyUserRoomData(this.deps.accountData, locals, oldRoomId, newRoomId);
    }
    await this.#updatePowerLevels(oldRoomId, newRoomId, userId, oldPowerLevels, normalised && finalPowerLevels(normalised, rv, [userId, ...creators]));
    return newRoomId;
  }

  /**
   * Every current ban of the old room, content verbatim, sent by the upgrader: read with
   * one indexed query and written as one chain (one transaction, written while it is built).
   */
  async #copyBans(oldRoomId: string, newRoomId: string, userId: string): Promise<void> {
    const { rooms } = this.deps;
    const bans = await this.deps.directory.bans(oldRoomId);
    if (bans.length === 0) return;
    const head = await rooms.heads.get(newRoomId);
    if (!head) throw new Error(`the replacement room ${newRoomId} has no head`);
    const state = powerState(head);
    const ownLevel = userPowerLevel(state, userId, head.roomVersion);
    const events: NewEvent[] = [];
    let skipped = 0;
    for (const ban of bans) {
      // The auth rules only let a ban through against a lower level (old Synapse skipped these too).
      if (ban.userId === userId || userPowerLevel(state, ban.userId, head.roomVersion) >= ownLevel) {
        skipped++;
        continue;
      }
      const content = ban.content === null ? {} : (JSON.parse(ban.content) as Record<string, unknown>);
      events.push({ type: "m.room.member", stateKey: ban.userId, content: { ...content, membership: "ban" }, sender: userId });
    }
    if (skipped > 0) log().warn("Not copying {count} bans of users with power into {roomId}", { count: skipped, roomId: newRoomId });
    // Load the targets' (absent) memberships in chunks, so the build does not ask for all at once.
    for (let i = 0; i < events.length && !head.allMembersKnown; i += 1000) {
      await rooms.heads.loadMembers(head, events.slice(i, i + 1000).map((e) => e.stateKey!));
    }
    await rooms.events.createChain(newRoomId, events);
  }

  /** §7.6: local alias mappings follow the room; the canonical alias splits local from remote. */
  async #moveAliases(oldRoomId: string, newRoomId: string, userId: string, canonical: StoredEvent | undefined): Promise<void> {
    const aliases: RoomAliases = this.deps.rooms.aliases;
    await aliases.moveAll?.(oldRoomId, newRoomId);
    if (!canonical) return;
    const split = splitCanonicalAlias(canonical.pdu.content ?? {}, (a) => a.slice(a.indexOf(":") + 1) === this.deps.serverName);
    for (const [roomId, content] of [[oldRoomId, split.old], [newRoomId, split.new]] as const) {
      try {
        await this.deps.rooms.events.create(roomId, [{ type: "m.room.canonical_alias", stateKey: "", content, sender: userId }], { dedupe: true });
      } catch (err) {
        if (!(err instanceof MatrixError)) throw err;
        log().error("Unable to send updated alias events in {roomId}: {error}", { roomId, error: err.message });
      }
    }
  }

  /** §7.7: mute the old room; give the new one the old levels back (undoing the raise). */
  async #updatePowerLevels(
    oldRoomId: string,
    newRoomId: string,
    userId: string,
    oldContent: Record<string, unknown> | undefined,
    finalContent: Record<string, unknown> | undefined,
  ): Promise<void> {
    const { events } = this.deps.rooms;
    if (!oldContent || !finalContent) {
      log().warn("Not updating power levels: room {roomId} has no power levels event", { roomId: oldRoomId });
      return;
    }
    const muted = mutedOldPowerLevels(oldContent);
    if (muted) {
      try {
        await events.create(oldRoomId, [{ type: "m.room.power_levels", stateKey: "", content: muted, sender: userId }]);
      } catch (err) {
        if (!(err instanceof MatrixError)) throw err;
        log().warn("Unable to update PLs in old room: {error}", { error: err.message });
      }
    }
    await events.create(newRoomId, [{ type: "m.room.power_levels", stateKey: "", content: finalContent, sender: userId }], { dedupe: true });
  }
}

function tombstone(sender: string, replacementRoom: string): NewEvent {
  return {
    type: "m.room.tombstone",
    stateKey: "",
    content: { body: "This room has been replaced", replacement_room: replacementRoom },
    sender,
  };
}

/**
 * The new create event's content. The predecessor's event_id (deprecated since v1.16) is
 * the tombstone's; v12 rooms, whose id derives from this event, get none, as Synapse's.
 */
function creationContent(oldHead: RoomHead, rv: RoomVersion, creators: string[], tombstoneId: string | undefined): Record<string, unknown> {
  const old = oldHead.create.pdu.content ?? {};
  const predecessor: Record<string, unknown> = { room_id: oldHead.roomId };
  if (tombstoneId !== undefined) predecessor.event_id = tombstoneId;
  const content: Record<string, unknown> = { predecessor };
  if (old["m.federate"] === false) content["m.federate"] = false;
  if (typeof old.type === "string") content.type = old.type;
  if (rv.privilegedCreators && creators.length > 0) content.additional_creators = creators;
  return content;
}

function initialState(oldHead: RoomHead, powerLevels: Record<string, unknown> | undefined) {
  const out: Array<{ type: string; state_key: string; content: Record<string, unknown> }> = [];
  if (powerLevels) out.push({ type: "m.room.power_levels", state_key: "", content: powerLevels });
  for (const type of COPIED_STATE) {
    const event = oldHead.state.get(stateKey(type, ""));
    if (event) out.push({ type, state_key: "", content: event.pdu.content ?? {} });
  }
  if (oldHead.create.pdu.content?.type === "m.space") {
    for (const event of oldHead.state.values()) {
      const content = event.pdu.content ?? {};
      if (event.pdu.type === "m.space.child" && typeof event.pdu.state_key === "string" && Object.keys(content).length > 0) {
        out.push({ type: "m.space.child", state_key: event.pdu.state_key, content });
      }
    }
  }
  return out;
}
