import { sqliteTable, text, integer, index, uniqueIndex, primaryKey } from "drizzle-orm/sqlite-core";

// End-to-end encryption: device keys, one-time and fallback keys, cross-signing,
// to-device messages, device-list changes and server-side key backup.

type Json = Record<string, unknown>;

/** The signed `device_keys` object a device uploaded, kept verbatim (signatures included). */
export const e2eDeviceKeys = sqliteTable(
  "e2e_device_keys",
  {
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    keyJson: text("key_json", { mode: "json" }).$type<Json>().notNull(),
    updatedTs: integer("updated_ts").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId] })],
);

/** Unclaimed one-time keys; `id` orders them by upload so the oldest is claimed first. */
export const e2eOneTimeKeys = sqliteTable(
  "e2e_one_time_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    algorithm: text("algorithm").notNull(),
    keyId: text("key_id").notNull(),
    /** A string (curve25519) or a signed key object. */
    keyJson: text("key_json", { mode: "json" }).$type<unknown>().notNull(),
    createdTs: integer("created_ts").notNull(),
  },
  (t) => [
    index("e2e_one_time_keys_claim").on(t.userId, t.deviceId, t.algorithm, t.id),
    uniqueIndex("e2e_one_time_keys_key").on(t.userId, t.deviceId, t.algorithm, t.keyId),
  ],
);

/** At most one fallback key per device and algorithm; `used` once handed out by a claim. */
export const e2eFallbackKeys = sqliteTable(
  "e2e_fallback_keys",
  {
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    algorithm: text("algorithm").notNull(),
    keyId: text("key_id").notNull(),
    keyJson: text("key_json", { mode: "json" }).$type<unknown>().notNull(),
    used: integer("used", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId, t.algorithm] })],
);

/** The current master, self-signing and user-signing key of each user. */
export const e2eCrossSigningKeys = sqliteTable(
  "e2e_cross_signing_keys",
  {
    userId: text("user_id").notNull(),
    /** master | self_signing | user_signing */
    keyType: text("key_type").notNull(),
    /** The unpadded base64 public key (the part after `ed25519:`). */
    publicKey: text("public_key").notNull(),
    keyJson: text("key_json", { mode: "json" }).$type<Json>().notNull(),
    updatedTs: integer("updated_ts").notNull(),
    /** Master key only: until this time the key may be replaced without UIA (MAS-approved reset). */
    replaceableWithoutUiaUntilTs: integer("replaceable_without_uia_until_ts"),
  },
  (t) => [primaryKey({ columns: [t.userId, t.keyType] })],
);

/**
 * Signatures added by POST /keys/signatures/upload: a device signed by its owner's
 * self-signing key, a master key signed by one of its owner's devices, or another
 * user's master key signed by the signer's user-signing key.
 */
export const e2eCrossSigningSignatures = sqliteTable(
  "e2e_cross_signing_signatures",
  {
    signerUserId: text("signer_user_id").notNull(),
    /** e.g. `ed25519:<self-signing public key>` or `ed25519:<device id>`. */
    signerKeyId: text("signer_key_id").notNull(),
    targetUserId: text("target_user_id").notNull(),
    /** A device id, or the base64 public key of a master key. */
    targetKeyId: text("target_key_id").notNull(),
    signature: text("signature").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.targetUserId, t.targetKeyId, t.signerUserId, t.signerKeyId] }),
  ],
);

/**
 * Device-list change stream: one row per change of a user's devices or cross-signing
 * keys. `stream_id` is the /sync position. `visible_to` limits who is told (a
 * user-signing key or a signature of someone else's key only concerns the signer).
 */
export const e2eDeviceListStream = sqliteTable(
  "e2e_device_list_stream",
  {
    streamId: integer("stream_id").primaryKey({ autoIncrement: true }),
    userId: text("user_id").notNull(),
    visibleTo: text("visible_to"),
    createdTs: integer("created_ts").notNull(),
  },
  (t) => [index("e2e_device_list_stream_user").on(t.userId, t.streamId)],
);

/** To-device inbox. A message is deleted once the device syncs with a `since` at or past it. */
export const e2eToDeviceInbox = sqliteTable(
  "e2e_to_device_inbox",
  {
    streamId: integer("stream_id").primaryKey({ autoIncrement: true }),
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    /** `{type, sender, content}` as delivered in /sync. */
    messageJson: text("message_json", { mode: "json" }).$type<Json>().notNull(),
    createdTs: integer("created_ts").notNull(),
  },
  (t) => [index("e2e_to_device_inbox_device").on(t.userId, t.deviceId, t.streamId)],
);

/** Transaction ids of PUT /sendToDevice already applied, so a retry sends nothing twice. */
export const e2eToDeviceTxns = sqliteTable(
  "e2e_to_device_txns",
  {
    userId: text("user_id").notNull(),
    /** `d:<device id>` of the sender, or `t:<token id>` for a token without a device. */
    scope: text("scope").notNull(),
    txnId: text("txn_id").notNull(),
    createdTs: integer("created_ts").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.scope, t.txnId] }),
    index("e2e_to_device_txns_created").on(t.createdTs),
  ],
);

/** Server-side key backup versions; `version` counts up per user and is never reused. */
export const e2eRoomKeysVersions = sqliteTable(
  "e2e_room_keys_versions",
  {
    userId: text("user_id").notNull(),
    version: integer("version").notNull(),
    algorithm: text("algorithm").notNull(),
    authData: text("auth_data", { mode: "json" }).$type<Json>().notNull(),
    etag: integer("etag").notNull().default(0),
    deleted: integer("deleted", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.userId, t.version] })],
);

/** One backed-up megolm session key per (backup version, room, session). */
export const e2eRoomKeys = sqliteTable(
  "e2e_room_keys",
  {
    userId: text("user_id").notNull(),
    version: integer("version").notNull(),
    roomId: text("room_id").notNull(),
    sessionId: text("session_id").notNull(),
    firstMessageIndex: integer("first_message_index").notNull(),
    forwardedCount: integer("forwarded_count").notNull(),
    isVerified: integer("is_verified", { mode: "boolean" }).notNull(),
    sessionData: text("session_data", { mode: "json" }).$type<Json>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.version, t.roomId, t.sessionId] })],
);
