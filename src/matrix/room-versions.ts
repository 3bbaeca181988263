// Room version descriptors: the per-version switches the event format, redaction,
// hashing and authorisation code branch on. Facts from the spec's content/rooms/v*.md.

/** How event ids are made: v1/v2 server-chosen `$x:server`, v3 base64 hash, v4+ URL-safe hash. */
export type EventIdFormat = "server-chosen" | "base64-hash" | "url-safe-hash";

export type StateResolutionVersion = "v1" | "v2" | "v2.1";

export interface RoomVersion {
  readonly id: string;
  readonly eventIdFormat: EventIdFormat;
  /** v1/v2: prev_events and auth_events are `[event_id, hashes]` pairs and the PDU carries event_id. */
  readonly eventIdInPdu: boolean;
  readonly stateResolution: StateResolutionVersion;
  /** v5+: signing keys must be valid at origin_server_ts. */
  readonly enforceKeyValidity: boolean;
  /** v1-5: m.room.aliases has its own auth rule and keeps `aliases` on redaction. */
  readonly specialCaseAliasesAuth: boolean;
  /** v6+: events must be valid canonical JSON (no floats, integers in range). */
  readonly strictCanonicalJson: boolean;
  /** v6+: `notifications` in power levels is subject to the change checks. */
  readonly limitNotificationsPowerLevels: boolean;
  /** v1-2: m.room.redaction has its own auth rule (redact level or same event-id domain). */
  readonly redactionAuthRule: boolean;
  /** v7+: `knock` membership and join rule. */
  readonly knockJoinRule: boolean;
  /** v8+: `restricted` join rule with join_authorised_via_users_server. */
  readonly restrictedJoinRule: boolean;
  /** v9+: redaction keeps join_authorised_via_users_server on member events. */
  readonly restrictedJoinRuleFix: boolean;
  /** v10+: `knock_restricted` join rule. */
  readonly knockRestrictedJoinRule: boolean;
  /** v10+: power level values must be integers (no strings, no floats). */
  readonly enforceIntPowerLevels: boolean;
  /** v11+: create content has no `creator`; the create event's sender is the creator. */
  readonly implicitRoomCreator: boolean;
  /** v11+: the updated redaction algorithm (MSC2176/MSC3821/MSC3989). */
  readonly updatedRedactionRules: boolean;
  /** v11+: m.room.redaction carries `redacts` in content, not at the top level. */
  readonly redactsInContent: boolean;
  /** v12+: sender + content.additional_creators have infinite power (MSC4289). */
  readonly privilegedCreators: boolean;
  /** v12+: room id is `!` + URL-safe reference hash of the create event (MSC4291). */
  readonly roomIdIsCreateEventHash: boolean;
  /** False from v12: the create event is implied by room_id and not listed in auth_events. */
  readonly createEventInAuthEvents: boolean;
}

const V1: RoomVersion = {
  id: "1",
  eventIdFormat: "server-chosen",
  eventIdInPdu: true,
  stateResolution: "v1",
  enforceKeyValidity: false,
  specialCaseAliasesAuth: true,
  strictCanonicalJson: false,
  limitNotificationsPowerLevels: false,
  redactionAuthRule: true,
  knockJoinRule: false,
  restrictedJoinRule: false,
  restrictedJoinRuleFix: false,
  knockRestrictedJoinRule: false,
  enforceIntPowerLevels: false,
  implicitRoomCreator: false,
  updatedRedactionRules: false,
  redactsInContent: false,
  privilegedCreators: false,
  roomIdIsCreateEventHash: false,
  createEventInAuthEvents: true,
};
const V2: RoomVersion = { ...V1, id: "2", stateResolution: "v2" };
const V3: RoomVersion = {
  ...V2,
  id: "3",
  eventIdFormat: "base64-hash",
  eventIdInPdu: false,
  redactionAuthRule: false,
};
const V4: RoomVersion = { ...V3, id: "4", eventIdFormat: "url-safe-hash" };
const V5: RoomVersion = { ...V4, id: "5", enforceKeyValidity: true };
const V6: RoomVersion = {
  ...V5,
  id: "6",
  specialCaseAliasesAuth: false,
  strictCanonicalJson: true,
  limitNotificationsPowerLevels: true,
};
const V7: RoomVersion = { ...V6, id: "7", knockJoinRule: true };
const V8: RoomVersion = { ...V7, id: "8", restrictedJoinRule: true };
const V9: RoomVersion = { ...V8, id: "9", restrictedJoinRuleFix: true };
const V10: RoomVersion = {
  ...V9,
  id: "10",
  knockRestrictedJoinRule: true,
  enforceIntPowerLevels: true,
};
const V11: RoomVersion = {
  ...V10,
  id: "11",
  implicitRoomCreator: true,
  updatedRedactionRules: true,
  redactsInContent: true,
};
const V12: RoomVersion = {
  ...V11,
  id: "12",
  stateResolution: "v2.1",
  privilegedCreators: true,
  roomIdIsCreateEventHash: true,
  createEventInAuthEvents: false,
};

export const ROOM_VERSIONS: Readonly<Record<string, RoomVersion>> = Object.freeze(
  Object.fromEntries([V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12].map((v) => [v.id, Object.freeze(v)])),
);

export const DEFAULT_ROOM_VERSION = "12";
export const CREATABLE_ROOM_VERSIONS: readonly string[] = Object.freeze(["10", "11", "12"]);

export function getRoomVersion(id: string): RoomVersion | undefined {
  return Object.hasOwn(ROOM_VERSIONS, id) ? ROOM_VERSIONS[id] : undefined;
}
