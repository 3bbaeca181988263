import { PUSH_RULES_ACCOUNT_DATA } from "../push/rules-service.ts";
import type { AccountDataRow } from "../storage/stores/account-data.ts";
import type { PresenceRow } from "../storage/stores/presence.ts";
import { matchesEventFilter } from "./filter-apply.ts";
import { buildRooms, type RoomsSection } from "./rooms-section.ts";
import { formatSyncToken } from "./token.ts";
import type { JsonEvent, SyncContext, SyncDeps } from "./context.ts";

export interface BuiltSync {
  body: Record<string, unknown>;
  /** False when nothing in the body is news to the client (a long-poll keeps waiting). */
  hasNews: boolean;
}

/** Builds one /sync response for `ctx` (since → upTo). */
export async function buildSync(deps: SyncDeps, ctx: SyncContext): Promise<BuiltSync> {
  // Every section reads independently, bounded by ctx.upTo: on PostgreSQL their round trips
  // overlap. Those that need the user's rooms (presence, and extensions that ask) wait for
  // the rooms section; the others (account data, to-device, key counts) start at once.
  const building = buildRooms(deps, ctx);
  const [rooms, accountData, presence, contributions] = await Promise.all([
    building,
    globalAccountData(deps, ctx),
    building.then((r) => presenceEvents(deps, ctx, r.joinedRoomIds)),
    Promise.all(
      deps.extensions.map((ext) =>
        ext.contribute({
          userId: ctx.userId,
          deviceId: ctx.deviceId,
          since: ctx.since,
          upTo: ctx.upTo,
          fullState: ctx.fullState,
          rooms: () => building,
        }),
      ),
    ),
  ]);
  const body: Record<string, unknown> = { next_batch: formatSyncToken(ctx.upTo) };
  let hasNews = accountData.length > 0 || presence.length > 0;
  const roomsBody: Partial<RoomsSection> = {};
  for (const k of ["join", "invite", "leave", "knock"] as const) {
    if (Object.keys(rooms.rooms[k]).length > 0) {
      roomsBody[k] = rooms.rooms[k];
      hasNews = true;
    }
  }
  if (Object.keys(roomsBody).length > 0) body.rooms = roomsBody;
  if (accountData.length > 0) body.account_data = { events: accountData };
  if (presence.length > 0) body.presence = { events: presence };
  // Their fields in registration order, whichever finished first.
  for (const r of contributions) {
    Object.assign(body, r.fields);
    if (r.hasNews) hasNews = true;
  }
  return { body, hasNews };
}

/** Top-level account data; `m.push_rules` is always served fresh (and always on a first sync). */
async function globalAccountData(deps: SyncDeps, ctx: SyncContext): Promise<JsonEvent[]> {
  const since = ctx.since;
  const full = !since || ctx.fullState;
  let rows: AccountDataRow[];
  if (full) rows = await deps.accountData.listForUser(ctx.userId);
  else if (deps.streams.log("account_data").userChangedSince(ctx.userId, since.account_data)) {
    rows = await deps.accountData.changedSince(ctx.userId, since.account_data);
  } else rows = [];
  const events: JsonEvent[] = [];
  let pushRules = full;
  for (const r of rows) {
    if (r.roomId !== "" || r.streamId > ctx.upTo.account_data) continue;
    if (r.type === PUSH_RULES_ACCOUNT_DATA) pushRules = true;
    else events.push({ type: r.type, content: r.content });
  }
  if (pushRules) events.push({ type: PUSH_RULES_ACCOUNT_DATA, content: await deps.pushRules.getRuleset(ctx.userId) });
  const filter = ctx.filter?.account_data;
  return events.filter((e) => matchesEventFilter(filter, { type: e.type as string }));
}

/** Presence of the user and of everyone sharing a room with them. */
async function presenceEvents(deps: SyncDeps, ctx: SyncContext, joinedRoomIds: string[]): Promise<JsonEvent[]> {
  const since = ctx.since;
  const filter = ctx.filter?.presence;
  if (filter?.types?.length === 0 || filter?.not_types?.includes("*")) return [];
  let rows: PresenceRow[];
  if (!since || ctx.fullState) {
    const users = await deps.reads.joinedUsersOf(joinedRoomIds);
    users.add(ctx.userId);
    rows = await deps.presence.getMany([...users]);
  } else {
    if (!deps.streams.log("presence").mayHaveChanged(since.presence, ctx.userId, joinedRoomIds)) return [];
    const changed = (await deps.presenceStore.changedSince(since.presence)).filter((r) => r.streamId <= ctx.upTo.presence);
    if (changed.length === 0) return [];
    const others = changed.map((r) => r.userId).filter((u) => u !== ctx.userId);
    const sharing = await deps.reads.usersJoinedToAny(others, joinedRoomIds);
    rows = changed.filter((r) => r.userId === ctx.userId || sharing.has(r.userId));
  }
  return rows
    .filter((r) => matchesEventFilter(filter, { type: "m.presence", sender: r.userId }))
    .map((r) => ({ type: "m.presence", sender: r.userId, content: deps.presence.format(r) }));
}
