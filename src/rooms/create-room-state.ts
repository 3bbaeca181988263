// The events /createRoom sends after the create event, in the spec's order: the
// creator's join, power levels, canonical alias, preset state, initial_state, name and
// topic, invites. Power level defaults are Synapse's (v12: creators are not listed and
// m.room.tombstone needs 150, above what any non-creator can hold by default).
import type { RoomVersion } from "../matrix/room-versions.ts";
import type { NewEvent } from "./event-builder.ts";

export interface CreateRoomRequest {
  visibility?: "public" | "private";
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  room_version?: string;
  creation_content?: Record<string, unknown>;
  initial_state?: Array<{ type: string; state_key?: string; content: Record<string, unknown> }>;
  preset?: "private_chat" | "public_chat" | "trusted_private_chat";
  is_direct?: boolean;
  power_level_content_override?: Record<string, unknown>;
}

interface PresetConfig {
  joinRule: string;
  historyVisibility: string;
  guestCanJoin: boolean;
  inviteesHaveOps: boolean;
  powerLevelOverride: Record<string, unknown>;
}

const PRESETS: Record<string, PresetConfig> = {
  private_chat: { joinRule: "invite", historyVisibility: "shared", guestCanJoin: true, inviteesHaveOps: false, powerLevelOverride: { invite: 0 } },
  trusted_private_chat: { joinRule: "invite", historyVisibility: "shared", guestCanJoin: true, inviteesHaveOps: true, powerLevelOverride: { invite: 0 } },
  public_chat: { joinRule: "public", historyVisibility: "shared", guestCanJoin: false, inviteesHaveOps: false, powerLevelOverride: {} },
};

export interface InitialStateContext {
  userId: string;
  preset: string;
  alias?: string;
  invitees: string[];
  profile: Record<string, unknown>;
  inviteeProfiles: Map<string, Record<string, unknown>>;
}

export function defaultPowerLevels(rv: RoomVersion, ctx: InitialStateContext, config: PresetConfig): Record<string, unknown> {
  const users: Record<string, number> = {};
  if (!rv.privilegedCreators) {
    users[ctx.userId] = 100;
    if (config.inviteesHaveOps) for (const u of ctx.invitees) users[u] = 100;
  }
  return {
    users,
    users_default: 0,
    events: {
      "m.room.name": 50,
      "m.room.power_levels": 100,
      "m.room.history_visibility": 100,
      "m.room.canonical_alias": 50,
      "m.room.avatar": 50,
      "m.room.tombstone": rv.privilegedCreators ? 150 : 100,
      "m.room.server_acl": 100,
      "m.room.encryption": 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 50,
    historical: 100,
    ...config.powerLevelOverride,
  };
}

export function initialStateEvents(rv: RoomVersion, req: CreateRoomRequest, ctx: InitialStateContext): NewEvent[] {
  const config = PRESETS[ctx.preset]!;
  const sender = ctx.userId;
  const state = (type: string, content: Record<string, unknown>, key = ""): NewEvent => ({ type, stateKey: key, content, sender });
  const out: NewEvent[] = [state("m.room.member", { ...ctx.profile, membership: "join" }, sender)];

  // initial_state entries, the later of two with the same (type, state_key) winning.
  const initial = new Map<string, { type: string; stateKey: string; content: Record<string, unknown> }>();
  for (const s of req.initial_state ?? []) {
    const stateKey = s.state_key ?? "";
    initial.set(`${s.type}\u0000${stateKey}`, { type: s.type, stateKey, content: s.content });
  }
  const take = (type: string) => {
    const key = `${type}\u0000`;
    const found = initial.get(key);
    initial.delete(key);
    return found;
  };

  const initialPowerLevels = take("m.room.power_levels");
  if (initialPowerLevels) {
    out.push(state("m.room.power_levels", { ...initialPowerLevels.content, ...(req.power_level_content_override ?? {}) }));
  } else {
    out.push(state("m.room.power_levels", { ...defaultPowerLevels(rv, ctx, config), ...(req.power_level_content_override ?? {}) }));
  }
  if (ctx.alias !== undefined && !initial.has("m.room.canonical_alias\u0000")) {
    out.push(state("m.room.canonical_alias", { alias: ctx.alias }));
  }
  if (!initial.has("m.room.join_rules\u0000")) out.push(state("m.room.join_rules", { join_rule: config.joinRule }));
  if (!initial.has("m.room.history_visibility\u0000")) {
    out.push(state("m.room.history_visibility", { history_visibility: config.historyVisibility }));
  }
  if (config.guestCanJoin && !initial.has("m.room.guest_access\u0000")) {
    out.push(state("m.room.guest_access", { guest_access: "can_join" }));
  }
  for (const s of initial.values()) out.push(state(s.type, s.content, s.stateKey));
  if (req.name !== undefined) out.push(state("m.room.name", { name: req.name }));
  if (req.topic !== undefined) {
    out.push(state("m.room.topic", { topic: req.topic, "m.topic": { "m.text": [{ mimetype: "text/plain", body: req.topic }] } }));
  }
  for (const invitee of ctx.invitees) {
    const content: Record<string, unknown> = { ...ctx.inviteeProfiles.get(invitee), membership: "invite" };
    if (req.is_direct) content.is_direct = true;
    out.push(state("m.room.member", content, invitee));
  }
  return out;
}
