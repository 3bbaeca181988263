import type { Clock } from "../observability/clock.ts";
import type { Database } from "../storage/database.ts";
import type { Notifier } from "../notifier/notifier.ts";
import type { RoomService } from "../rooms/service.ts";
import { forbidden } from "../http/errors.ts";
import { serverNameOf } from "../matrix/identifiers.ts";
import { AccountDataStore } from "../storage/stores/account-data.ts";
import { FiltersStore } from "../storage/stores/filters.ts";
import { PresenceStore, PRESENCE_STREAM } from "../storage/stores/presence.ts";
import { PushActionsStore } from "../storage/stores/push-actions.ts";
import { PushRulesStore } from "../storage/stores/push-rules.ts";
import { ReceiptsStore, RECEIPTS_STREAM } from "../storage/stores/receipts.ts";
import { StreamPositionsStore } from "../storage/stores/stream-positions.ts";
import { SyncReadsStore } from "../storage/stores/sync-reads.ts";
import { PresenceService, DEFAULT_PRESENCE_TIMINGS, type PresenceTimings } from "../ephemeral/presence.ts";
import { presenceMetricsObserver } from "../ephemeral/presence-metrics.ts";
import { ReceiptsService } from "../ephemeral/receipts.ts";
import { TypingService } from "../ephemeral/typing.ts";
import { PushEventProcessor } from "../push/event-processor.ts";
import { PushRulesService } from "../push/rules-service.ts";
import { UnreadCounter } from "../push/unread.ts";
import { NotificationsService } from "../push/notifications.ts";
import { PushActionsPruner } from "../push/retention.ts";
import { PushRetentionStore } from "../storage/stores/push-retention.ts";
import type { SyncDeps } from "./context.ts";
import type { SyncExtension } from "./extensions.ts";
import { FilterService } from "./filters.ts";
import { LazyMembersCache } from "./lazy-members.ts";
import { SyncHandler } from "./handler.ts";
import { SyncStreams } from "./streams.ts";
import { emptyToken, type SyncToken } from "./token.ts";

export interface SyncServicesDeps {
  serverName: string;
  clock: Clock;
  database: Database;
  notifier: Notifier;
  /** The rooms module's stores, event serializer and history-visibility filter. */
  rooms: Pick<RoomService, "stores" | "serializer" | "visibility" | "writer">;
  presenceTimings?: PresenceTimings;
}

/** Everything of the sync concern: filters, push rules, typing, receipts, presence, /sync itself. */
export interface SyncServices {
  filters: FilterService;
  pushRules: PushRulesService;
  typing: TypingService;
  receipts: ReceiptsService;
  presence: PresenceService;
  notifications: NotificationsService;
  /** Prunes old push outcomes; `start(background)` runs it hourly. */
  pushRetention: PushActionsPruner;
  streams: SyncStreams;
  handler: SyncHandler;
  /** PUT /typing: only members of the room may type in it. */
  setTyping(userId: string, roomId: string, typing: boolean, timeoutMs?: number): Promise<void>;
  /** Whether two users are joined to a common room (presence visibility). */
  sharesRoom(a: string, b: string): Promise<boolean>;
  /** Adds another module's part of /sync (see extensions.ts). */
  registerExtension(extension: SyncExtension): void;
  /** Re-reads the positions of streams other modules write (see SyncStreams.catchUp). */
  catchUp(): Promise<void>;
  stop(): void;
}

/** Builds the sync services; reads the streams' positions, so call it after migrations. */
export async function createSyncServices(deps: SyncServicesDeps): Promise<SyncServices> {
  const { database, clock, notifier } = deps;
  const positions = new StreamPositionsStore(database);
  const accountDataStore = new AccountDataStore(database);
  const { rooms, events, stateGroups } = deps.rooms.stores;
  const reads = new SyncReadsStore(database);
  const receiptsStore = new ReceiptsStore(database, positions);
  const presenceStore = new PresenceStore(database, positions);
  const pushActions = new PushActionsStore(database);

  // Positions of streams other modules write. The e2ee streams publish theirs in
  // stream_positions inside their writing transactions; account data is read as
  // its highest committed id.
  const readPositions = async (): Promise<Partial<SyncToken>> => {
    // Two round trips at once on PostgreSQL: every long-poll wake waits for them.
    const [rows, accountData] = await Promise.all([positions.all(), reads.maxCommittedAccountDataId()]);
    return {
      account_data: accountData,
      to_device: rows.get("to_device") ?? 0,
      device_lists: rows.get("device_lists") ?? 0,
    };
  };
  const stored = await positions.all();
  const typing = new TypingService(clock, (roomId, pos) => streams.changed("typing", pos, { rooms: [roomId] }));
  const start: SyncToken = {
    ...emptyToken(),
    ...(await readPositions()),
    events: stored.get("events") ?? 0,
    receipts: stored.get(RECEIPTS_STREAM) ?? 0,
    presence: stored.get(PRESENCE_STREAM) ?? 0,
    typing: typing.startPosition,
  };
  const streams = new SyncStreams(notifier, start);

  const accountDataChanged = (userId: string, pos: number) => streams.changed("account_data", pos, { users: [userId] });
  const pushRules = new PushRulesService(new PushRulesStore(database, positions), accountDataStore, accountDataChanged);
  const presenceTimings = deps.presenceTimings ?? DEFAULT_PRESENCE_TIMINGS;
  const presence = new PresenceService(
    clock,
    presenceStore,
    (userId, pos) => {
      // Recorded at once, so a sync of the user's own that set it covers it; then
      // everyone sharing a room with the user is woken, once their rooms are known.
      streams.changed("presence", pos, { users: [userId] });
      void rooms.joinedRoomIds(userId).then((roomIds) => streams.changed("presence", pos, { rooms: roomIds }));
    },
    presenceTimings,
    presenceMetricsObserver(deps.serverName, presenceTimings.activeGranularityMs),
  );
  const receipts = new ReceiptsService(clock, receiptsStore, rooms, events, accountDataStore, {
    receipt: (roomId, userId, pos, isPrivate) =>
      streams.changed("receipts", pos, isPrivate ? { users: [userId] } : { rooms: [roomId] }),
    accountData: accountDataChanged,
  });
  const unread = new UnreadCounter(receiptsStore, pushActions);
  const { serializer, visibility } = deps.rooms;
  const extensions: SyncExtension[] = [];

  const processor = new PushEventProcessor(deps.serverName, clock, reads, rooms, pushRules, pushActions);
  // Outcomes of the writer's events are written in their own commit; the processor below
  // handles what the hook leaves (rooms created in the batch, a failed hook). Earlier events
  // must be processed first, so the contexts the hook starts from are up to date.
  const removeHook = deps.rooms.writer.addCommitHook({
    prepare: async (events, createdRooms) => {
      await notifier.flush();
      return processor.prepare(events, createdRooms);
    },
    // Processing writes in transactions of its own (rooms created in a batch).
    beforeTransaction: () => notifier.flush(),
  });
  const removeProcessor = notifier.addEventProcessor(async (roomId, pos, info) => {
    try {
      await processor.process(roomId, pos, info);
    } finally {
      const users = info.type === "m.room.member" && info.stateKey ? [info.stateKey] : [];
      streams.changed("events", pos, { rooms: [roomId], users }, false);
    }
    if (serverNameOf(info.sender) === deps.serverName) void presence.bumpActive(info.sender);
  });

  const syncDeps: SyncDeps = {
    clock,
    reads,
    rooms,
    events,
    stateGroups,
    serializer,
    visibility,
    receipts: receiptsStore,
    accountData: accountDataStore,
    presenceStore,
    presence,
    typing,
    pushRules,
    unread,
    streams,
    extensions,
    lazyMembers: new LazyMembersCache(clock),
  };
  await presence.start();
  const catchUp = async () => streams.catchUp(await readPositions());
  return {
    filters: new FilterService(new FiltersStore(database)),
    pushRules,
    typing,
    receipts,
    presence,
    notifications: new NotificationsService(pushActions, receiptsStore, events, serializer, clock),
    pushRetention: new PushActionsPruner(deps.serverName, clock, new PushRetentionStore(database), {
      actions: pushActions,
      receipts: receiptsStore,
      rooms,
    }),
    streams,
    handler: new SyncHandler(syncDeps, notifier, catchUp),
    async setTyping(userId, roomId, isTyping, timeoutMs) {
      const m = await rooms.membership(roomId, userId);
      if (m?.membership !== "join") throw forbidden(`User ${userId} not in room ${roomId}`);
      typing.setTyping(roomId, userId, isTyping, timeoutMs);
      if (isTyping) void presence.bumpActive(userId);
    },
    async sharesRoom(a, b) {
      return (await reads.usersJoinedToAny([b], await rooms.joinedRoomIds(a))).has(b);
    },
    registerExtension: (e) => void extensions.push(e),
    catchUp,
    stop() {
      removeHook();
      removeProcessor();
      presence.stop();
      typing.stop();
    },
  };
}
