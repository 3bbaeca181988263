import type { Clock } from "../observability/clock.ts";
import type { NewEventInfo } from "../notifier/notifier.ts";
import { stateKey, type PDU, type StateMap } from "../matrix/events.ts";
import { serverNameOf } from "../matrix/identifiers.ts";
import { userPowerLevel } from "../matrix/power-levels.ts";
import { getRoomVersion, type RoomVersion } from "../matrix/room-versions.ts";
import type { PushActionsStore, PushOutcomeWrite } from "../storage/stores/push-actions.ts";
import type { CommitPart } from "../rooms/event-writer.ts";
import { viewOfPending, viewOfRow, type EventView, type PendingEvent } from "./event-view.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";
import type { SyncReadsStore } from "../storage/stores/sync-reads.ts";
import type { PushRulesService } from "./rules-service.ts";
import type { PushEvaluation } from "./evaluator.ts";
import { RecipientIndex } from "./recipients.ts";

interface RoomPushContext {
  version: RoomVersion;
  /** Local joined members and their display names in the room. */
  localMembers: Map<string, string | undefined>;
  /** localMembers' ids as an array, kept until a member joins or leaves (every event iterates it). */
  memberIds?: string[];
  /** The members' rules prepared for evaluation; rebuilt when members, names or rules change. */
  recipients?: { index: RecipientIndex; rulesGeneration: number };
  joinedCount: number;
  /** m.room.create and m.room.power_levels, for power levels. */
  powerState: StateMap;
  powerLevelsContent?: Record<string, unknown>;
}

/** State whose change reloads the cached context (members are updated in place). */
const CONTEXT_TYPES = new Set(["m.room.power_levels", "m.room.create"]);
const CACHE_ROOMS = 1000;
/**
 * Rooms whose recipient index is kept (the most recently used): an index costs a few
 * hundred bytes per member, several times its context's member map, so only rooms in
 * use keep one; another is rebuilt at its next event.
 */
const INDEXED_ROOMS = 256;

/**
 * Runs every local member's push rules over each new event and stores the
 * outcomes that notify or highlight; unread counts and /notifications read
 * them. Registered as a notifier EventProcessor, so it runs after the event's
 * commit and before /sync hears of the event.
 */
/** What reloading the context after the commit of a power-levels (or create) event would pick up. */
function applyPowerState(ctx: RoomPushContext, view: EventView, pdu: PDU): void {
  ctx.powerState.set(stateKey(view.type, view.stateKey!), { eventId: view.eventId, pdu });
  if (view.type === "m.room.power_levels") ctx.powerLevelsContent = pdu.content;
}

export class PushEventProcessor {
  readonly #rooms = new Map<string, RoomPushContext>();
  /** Contexts holding a recipient index, least recently used first. */
  readonly #indexed = new Set<RoomPushContext>();
  /** Stream orderings whose outcomes the commit hook already wrote. */
  readonly #handled = new Set<number>();
  /** Outcomes are frozen objects shared by every event a rule matches: key each once. */
  readonly #keys = new WeakMap<PushEvaluation, string>();

  constructor(
    private readonly serverName: string,
    private readonly clock: Clock,
    private readonly reads: SyncReadsStore,
    private readonly roomsStore: RoomsStore,
    private readonly rules: PushRulesService,
    private readonly actions: PushActionsStore,
  ) {}

  /** After the commit (notifier EventProcessor): events the commit hook did not handle. */
  async process(roomId: string, streamOrdering: number, info: NewEventInfo): Promise<void> {
    if (this.#handled.delete(streamOrdering)) return;
    const isMemberEvent = info.type === "m.room.member" && typeof info.stateKey === "string";
    if (info.stateKey !== undefined && info.stateKey !== null && CONTEXT_TYPES.has(info.type)) this.#rooms.delete(roomId);
    const row = await this.reads.eventByStream(streamOrdering);
    if (!row || row.roomId !== roomId) return;
    const view = viewOfRow(row);
    const write = this.#membershipWrite(view, streamOrdering);
    const ctx = await this.#context(roomId);
    if (ctx) await this.#evaluate(ctx, view, write);
    await this.actions.write(write);
    if (isMemberEvent && ctx) {
      this.#applyMember(ctx, view);
      ctx.joinedCount = await this.roomsStore.countMembers(roomId);
    }
  }

  /**
   * Before the commit (the event writer's CommitHook): evaluates a batch of new events in
   * order, so their outcomes are written in the events' own transaction instead of one
   * transaction each afterwards. Room contexts are taken as of the last commit and the
   * batch's events are applied to them in memory, as `process` would see them one by one.
   * Rooms the batch creates have no context yet: their events are left to `process`.
   */
  async prepare(events: readonly PendingEvent[], createdRooms: ReadonlySet<string>): Promise<CommitPart | undefined> {
    const rooms = new Map<string, RoomPushContext | undefined>();
    for (const e of events) {
      const roomId = e.row.roomId;
      if (!rooms.has(roomId) && !createdRooms.has(roomId)) rooms.set(roomId, this.#cachedContext(roomId) ?? (await this.#context(roomId)));
    }
    const writes: Array<{ eventId: string; write: PushOutcomeWrite }> = [];
    try {
      for (const e of events) {
        if (!rooms.has(e.row.roomId)) continue;
        const ctx = rooms.get(e.row.roomId);
        const view = viewOfPending(e);
        const write = this.#membershipWrite(view, 0);
        if (ctx) {
          if (view.stateKey !== null && CONTEXT_TYPES.has(view.type)) applyPowerState(ctx, view, e.pdu);
          await this.#evaluate(ctx, view, write);
          if (view.type === "m.room.member" && view.stateKey !== null) {
            this.#applyMember(ctx, view);
            const before = (e.row.unsigned?.prev_content as { membership?: unknown } | undefined)?.membership === "join";
            ctx.joinedCount += Number(view.membership === "join") - Number(before);
          }
        }
        writes.push({ eventId: e.eventId, write });
      }
    } catch (err) {
      for (const roomId of rooms.keys()) this.#rooms.delete(roomId);
      throw err;
    }
    if (writes.length === 0) return undefined;
    return {
      write: async (streamOrderings) => {
        for (const { eventId, write } of writes) {
          const so = streamOrderings.get(eventId)!;
          for (const j of write.joined ?? []) j.since = so;
          if (write.defaults) write.defaults.streamOrdering = so;
          for (const a of write.explicit) a.streamOrdering = so;
        }
        await this.actions.writeMany(writes.map((w) => w.write));
      },
      committed: (streamOrderings) => {
        for (const { eventId } of writes) this.#handled.add(streamOrderings.get(eventId)!);
      },
      // The in-memory contexts moved on with events that are not in the database.
      failed: () => {
        for (const roomId of rooms.keys()) this.#rooms.delete(roomId);
      },
    };
  }

  /** push_room_members follows local members' joins and leaves. */
  #membershipWrite(view: EventView, streamOrdering: number): PushOutcomeWrite {
    const write: PushOutcomeWrite = { explicit: [] };
    if (view.type === "m.room.member" && view.stateKey !== null && this.#isLocal(view.stateKey)) {
      if (view.membership === "join") write.joined = [{ roomId: view.roomId, userId: view.stateKey, since: streamOrdering }];
      else write.left = [{ roomId: view.roomId, userId: view.stateKey }];
    }
    return write;
  }

  /** The event is evaluated with the members before it; later events see it applied. */
  #applyMember(ctx: RoomPushContext, view: EventView): void {
    const target = view.stateKey!;
    if (!this.#isLocal(target)) return;
    const name = view.content.displayname;
    if (view.membership === "join") ctx.localMembers.set(target, typeof name === "string" ? name : undefined);
    else ctx.localMembers.delete(target);
    ctx.memberIds = undefined;
    ctx.recipients = undefined;
  }

  /** Runs the rules of every local member (and an invitee) and fills `write`. */
  async #evaluate(ctx: RoomPushContext, row: EventView, write: PushOutcomeWrite): Promise<void> {
    const roomId = row.roomId;
    const event: Record<string, unknown> = {
      event_id: row.eventId,
      room_id: roomId,
      type: row.type,
      sender: row.sender,
      content: row.content,
      origin_server_ts: row.originServerTs,
    };
    if (row.stateKey !== null) event.state_key = row.stateKey;
    // An invitee is not a member (yet) but is told of the invite (.m.rule.invite_for_me).
    const invitee =
      row.type === "m.room.member" && row.membership === "invite" && row.stateKey && this.#isLocal(row.stateKey) ? row.stateKey : undefined;
    const memberIds = (ctx.memberIds ??= [...ctx.localMembers.keys()]);
    // A message goes to every member but its sender: they are skipped rather than filtered out.
    const recipients = invitee ? [...memberIds.filter((u) => u !== row.sender && u !== invitee), invitee] : memberIds;
    if (recipients.length === 0 || (recipients.length === 1 && recipients[0] === row.sender)) return;
    let index: RecipientIndex;
    if (invitee) {
      index = new RecipientIndex(recipients, { rules: await this.rules.compiledFor(recipients), displayNames: ctx.localMembers });
    } else if (ctx.recipients && ctx.recipients.rulesGeneration === this.rules.generation) {
      index = ctx.recipients.index;
      this.#keepIndexed(ctx);
    } else {
      // Read before the load: a change during it leaves the index marked stale.
      const rulesGeneration = this.rules.generation;
      const rules = this.rules.cachedFor(recipients) ?? (await this.rules.compiledFor(recipients));
      index = new RecipientIndex(recipients, { rules, displayNames: ctx.localMembers });
      ctx.recipients = { index, rulesGeneration };
      this.#keepIndexed(ctx);
    }

    const senderPowerLevel = userPowerLevel(ctx.powerState, row.sender, ctx.version);
    const threadId = row.relType === "m.thread" && row.relatesTo ? row.relatesTo : "main";
    const now = this.clock.now();
    const { groups, individual } = index.evaluate(
      { event, roomMemberCount: ctx.joinedCount, senderPowerLevel, powerLevelsContent: ctx.powerLevelsContent, roomVersion: ctx.version.id },
      invitee,
      row.sender,
    );
    const tally = new Map<string, { outcome: PushEvaluation; n: number }>();
    const count = (outcome: PushEvaluation, n: number) => {
      const key = this.#outcomeKey(outcome);
      const t = tally.get(key);
      if (t) t.n += n;
      else tally.set(key, { outcome, n });
    };
    for (const g of groups) count(g.outcome, g.userIds.length);
    for (const [userId, outcome] of individual) if (userId !== invitee) count(outcome, 1);
    // The most common outcome among members becomes the event's default row,
    // when it notifies; everyone else gets a row of their own.
    let majorityKey: string | undefined;
    let best = 0;
    for (const [key, t] of tally) {
      if (t.n > best && (t.outcome.notify || t.outcome.highlight)) {
        best = t.n;
        majorityKey = key;
      }
    }
    if (majorityKey !== undefined) {
      const o = tally.get(majorityKey)!.outcome;
      write.defaults = {
        eventId: row.eventId,
        roomId,
        streamOrdering: row.streamOrdering,
        threadId,
        sender: row.sender,
        notif: o.notify,
        highlight: o.highlight,
        actions: o.actions,
        ts: now,
      };
    }
    const record = (userId: string, result: PushEvaluation) =>
      write.explicit.push({
        userId,
        eventId: row.eventId,
        roomId,
        streamOrdering: row.streamOrdering,
        threadId,
        notif: result.notify,
        highlight: result.highlight,
        actions: result.actions,
        ts: now,
      });
    // Covered users (members, when there is a default row) need a row only where they differ
    // from it; without a default row, only outcomes that notify need recording.
    const needsRow = (result: PushEvaluation, covered: boolean) =>
      covered ? this.#outcomeKey(result) !== majorityKey : result.notify || result.highlight;
    for (const g of groups) {
      if (needsRow(g.outcome, majorityKey !== undefined)) for (const userId of g.userIds) record(userId, g.outcome);
    }
    for (const [userId, result] of individual) {
      if (needsRow(result, userId !== invitee && majorityKey !== undefined)) record(userId, result);
    }
  }

  #outcomeKey(o: PushEvaluation): string {
    let k = this.#keys.get(o);
    if (k === undefined) {
      k = `${o.notify}|${o.highlight}|${JSON.stringify(o.actions)}`;
      this.#keys.set(o, k);
    }
    return k;
  }

  #isLocal(userId: string): boolean {
    return serverNameOf(userId) === this.serverName;
  }

  /** Marks the context's index most recently used; drops the least recently used beyond INDEXED_ROOMS. */
  #keepIndexed(ctx: RoomPushContext): void {
    this.#indexed.delete(ctx);
    this.#indexed.add(ctx);
    if (this.#indexed.size <= INDEXED_ROOMS) return;
    const oldest = this.#indexed.values().next().value;
    if (oldest) {
      oldest.recipients = undefined;
      this.#indexed.delete(oldest);
    }
  }

  /** The room's cached context, without an await. */
  #cachedContext(roomId: string): RoomPushContext | undefined {
    const cached = this.#rooms.get(roomId);
    if (cached) {
      // Re-insert to keep recently used rooms at the end (oldest evicted first).
      this.#rooms.delete(roomId);
      this.#rooms.set(roomId, cached);
    }
    return cached;
  }

  async #context(roomId: string): Promise<RoomPushContext | undefined> {
    const cached = this.#cachedContext(roomId);
    if (cached) return cached;
    const room = await this.roomsStore.get(roomId);
    const version = room ? getRoomVersion(room.roomVersion) : undefined;
    if (!version) return undefined;
    const members = await this.roomsStore.members(roomId, "join");
    const names = new Map(members.map((m) => [m.userId, m.displayname ?? undefined]));
    // Members as push processing has seen them so far, not as the room is now: the
    // database may already hold joins after the event being processed.
    const recorded = await this.actions.membersOf(roomId);
    const localMembers = new Map<string, string | undefined>();
    if (recorded.size > 0) for (const u of recorded.keys()) localMembers.set(u, names.get(u));
    else for (const m of members) if (this.#isLocal(m.userId)) localMembers.set(m.userId, m.displayname ?? undefined);
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
