import type { Clock } from "../observability/clock.ts";
import type { EventSerializer } from "../rooms/client-format.ts";
import type { VisibilityFilter } from "../rooms/visibility-filter.ts";
import type { AccountDataStore } from "../storage/stores/account-data.ts";
import type { EventsStore } from "../storage/stores/events.ts";
import type { ReceiptsStore } from "../storage/stores/receipts.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";
import type { StateGroupsStore } from "../storage/stores/state-groups.ts";
import type { SyncReadsStore } from "../storage/stores/sync-reads.ts";
import type { PresenceStore } from "../storage/stores/presence.ts";
import type { TypingService } from "../ephemeral/typing.ts";
import type { PresenceService } from "../ephemeral/presence.ts";
import type { PushRulesService } from "../push/rules-service.ts";
import type { UnreadCounter } from "../push/unread.ts";
import type { SyncExtension } from "./extensions.ts";
import type { LazyMembersCache } from "./lazy-members.ts";
import type { Filter } from "./filter.ts";
import type { SyncStreams } from "./streams.ts";
import type { SyncToken } from "./token.ts";

/** What building a /sync response reads from. */
export interface SyncDeps {
  clock: Clock;
  reads: SyncReadsStore;
  rooms: RoomsStore;
  events: EventsStore;
  stateGroups: StateGroupsStore;
  serializer: EventSerializer;
  visibility: VisibilityFilter;
  receipts: ReceiptsStore;
  accountData: AccountDataStore;
  presenceStore: PresenceStore;
  presence: PresenceService;
  typing: TypingService;
  pushRules: PushRulesService;
  unread: UnreadCounter;
  streams: SyncStreams;
  extensions: readonly SyncExtension[];
  /** Member events each device was sent (lazy loading without include_redundant_members). */
  lazyMembers: LazyMembersCache;
}

/** One response being built. */
export interface SyncContext {
  userId: string;
  deviceId: string | null;
  /** Transaction-id scope of the requester, to echo their own transaction ids. */
  txnScope: string;
  filter: Filter | undefined;
  /** Undefined on an initial sync. */
  since: SyncToken | undefined;
  upTo: SyncToken;
  fullState: boolean;
}

/** Client-format event as /sync returns it (after event_fields). */
export type JsonEvent = Record<string, unknown>;
