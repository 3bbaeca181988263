import type { Clock } from "../observability/clock.ts";
import type { NewEventInfo } from "../notifier/notifier.ts";
import { stateKey, type PDU, type StateMap } from "../matrix/events.ts";
import { serverNameOf } from "../matrix/identifiers.ts";
import { userPowerLevel } from "../matrix/power-levels.ts";
import { getRoomVersion, type RoomVersion } from "../matrix/room-versions.ts";
import type { PushActionRow, PushActionsStore } from "../storage/stores/push-actions.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";
import type { SyncReadsStore } from "../storage/stores/sync-reads.ts";
import type { PushRulesService } from "./rules-service.ts";

interface RoomPushContext {
  version: RoomVersion;
  /** Local joined members and their display names in the room. */
  localMembers: Map<string, string | undefined>;
  joinedCount: number;
  /** m.room.create and m.room.power_levels, for power levels. */
  powerState: StateMap;
  powerLevelsContent?: Record<string, unknown>;
}

/** State that the cached context depends on. */
const CONTEXT_TYPES = new Set(["m.room.member", "m.room.power_levels", "m.room.create"]);
const CACHE_ROOMS = 1000;

/**
 * Runs every local member's push rules over each new event and stores the
 * outcomes that notify or highlight; unread counts and /notifications read
 * them. Registered as a notifier EventProcessor, so it runs after the event's
 * commit and before /sync hears of the event.
 */
export class PushEventProcessor {
  readonly #rooms = new Map<string, RoomPushContext>();

  constructor(
    private readonly serverName: string,
    private readonly clock: Clock,
    private readonly reads: SyncReadsStore,
    private readonly roomsStore: RoomsStore,
    private readonly rules: PushRulesService,
    private readonly actions: PushActionsStore,
  ) {}

  async process(roomId: string, streamOrdering: number, info: NewEventInfo): Promise<void> {
    if (info.stateKey !== undefined && info.stateKey !== null && CONTEXT_TYPES.has(info.type)) this.#rooms.delete(roomId);
    const row = await this.reads.eventByStream(streamOrdering);
    if (!row || row.roomId !== roomId) return;
    const ctx = await this.#context(roomId);
    if (!ctx) return;
    const pdu = JSON.parse(row.pdu) as PDU;
    const event: Record<string, unknown> = {
      event_id: row.eventId,
      room_id: roomId,
      type: row.type,
      sender: row.sender,
      content: pdu.content ?? {},
      origin_server_ts: row.originServerTs,
    };
    if (row.stateKey !== null) event.state_key = row.stateKey;

    const recipients = [...ctx.localMembers.keys()].filter((u) => u !== row.sender);
    // An invitee is not a member yet but is told of the invite (.m.rule.invite_for_me).
    if (row.type === "m.room.member" && row.membership === "invite" && row.stateKey && this.#isLocal(row.stateKey)) {
      if (!ctx.localMembers.has(row.stateKey)) recipients.push(row.stateKey);
    }
    if (recipients.length === 0) return;

    const senderPowerLevel = userPowerLevel(ctx.powerState, row.sender, ctx.version);
    const threadId = row.relType === "m.thread" && row.relatesTo ? row.relatesTo : "main";
    const compiled = await this.rules.compiledFor(recipients);
    const now = this.clock.now();
    const out: PushActionRow[] = [];
    for (const userId of recipients) {
      const rules = compiled.get(userId);
      if (!rules) continue;
      const result = rules.evaluate({
        event,
        roomMemberCount: ctx.joinedCount,
        userId,
        userDisplayName: ctx.localMembers.get(userId),
        senderPowerLevel,
        powerLevelsContent: ctx.powerLevelsContent,
        roomVersion: ctx.version.id,
      });
      if (!result.notify && !result.highlight) continue;
      out.push({
        userId,
        eventId: row.eventId,
        roomId,
        streamOrdering,
        threadId,
        notif: result.notify,
        highlight: result.highlight,
        actions: result.actions,
        ts: now,
      });
    }
    await this.actions.insert(out);
  }

  #isLocal(userId: string): boolean {
    return serverNameOf(userId) === this.serverName;
  }

  async #context(roomId: string): Promise<RoomPushContext | undefined> {
    const cached = this.#rooms.get(roomId);
    if (cached) {
      // Re-insert to keep recently used rooms at the end (oldest evicted first).
      this.#rooms.delete(roomId);
      this.#rooms.set(roomId, cached);
      return cached;
    }
    const room = await this.roomsStore.get(roomId);
    const version = room ? getRoomVersion(room.roomVersion) : undefined;
    if (!version) return undefined;
    const members = await this.roomsStore.members(roomId, "join");
    const localMembers = new Map<string, string | undefined>();
    for (const m of members) if (this.#isLocal(m.userId)) localMembers.set(m.userId, m.displayname ?? undefined);
    const powerState: StateMap = new Map();
    let powerLevelsContent: Record<string, unknown> | undefined;
    for (const s of await this.roomsStore.currentState(roomId, { types: ["m.room.create", "m.room.power_levels"] })) {
      const pdu = JSON.parse(s.pdu) as PDU;
      powerState.set(stateKey(s.type, s.stateKey), { eventId: s.eventId, pdu });
      if (s.type === "m.room.power_levels") powerLevelsContent = pdu.content;
    }
    const ctx: RoomPushContext = { version, localMembers, joinedCount: members.length, powerState, powerLevelsContent };
    if (this.#rooms.size >= CACHE_ROOMS) {
      const oldest = this.#rooms.keys().next().value;
      if (oldest !== undefined) this.#rooms.delete(oldest);
    }
    this.#rooms.set(roomId, ctx);
    return ctx;
  }
}
