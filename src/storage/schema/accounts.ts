import { sqliteTable, text, integer, real, index, uniqueIndex, primaryKey } from "drizzle-orm/sqlite-core";

export const users = sqliteTable(
  "users",
  {
    userId: text("user_id").primaryKey(),
    /** lower(user_id), so logins and registrations match ids case-insensitively through an index. */
    userIdLower: text("user_id_lower"),
    /** Argon2id (or an imported bcrypt) hash; null for users who cannot log in with a password. */
    passwordHash: text("password_hash"),
    admin: integer("admin", { mode: "boolean" }).notNull().default(false),
    isGuest: integer("is_guest", { mode: "boolean" }).notNull().default(false),
    deactivated: integer("deactivated", { mode: "boolean" }).notNull().default(false),
    locked: integer("locked", { mode: "boolean" }).notNull().default(false),
    shadowBanned: integer("shadow_banned", { mode: "boolean" }).notNull().default(false),
    userType: text("user_type"),
    displayname: text("displayname"),
    avatarUrl: text("avatar_url"),
    createdTs: integer("created_ts").notNull(),
  },
  (t) => [index("users_user_id_lower").on(t.userIdLower)],
);

export const devices = sqliteTable(
  "devices",
  {
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    displayName: text("display_name"),
    lastSeenTs: integer("last_seen_ts"),
    lastSeenIp: text("last_seen_ip"),
    lastSeenUserAgent: text("last_seen_user_agent"),
    createdTs: integer("created_ts").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId] })],
);

/** Only the SHA-256 of a token is stored; the token itself is shown once, at issue. */
export const accessTokens = sqliteTable(
  "access_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id").notNull(),
    deviceId: text("device_id"),
    /** Epoch ms after which the token is refused (refreshable tokens); null = no expiry. */
    validUntilTs: integer("valid_until_ts"),
    refreshTokenHash: text("refresh_token_hash"),
    /** Set when an admin logs in as this user: the admin's user id. */
    puppetsUserId: text("puppets_user_id"),
    createdTs: integer("created_ts").notNull(),
    lastUsedTs: integer("last_used_ts"),
    /** Set on the first request made with a refreshable token: its predecessors stop being refreshable. */
    used: integer("used", { mode: "boolean" }).notNull().default(false),
    /** When the holder last passed user-interactive auth (`ui_auth.session_timeout`); null = at creation. */
    lastValidatedTs: integer("last_validated_ts"),
  },
  (t) => [
    index("access_tokens_user_device").on(t.userId, t.deviceId),
    index("access_tokens_refresh_token").on(t.refreshTokenHash),
  ],
);

/** Per-user rate-limit overrides (admin API); 0/null messages_per_second exempts the user. */
export const ratelimitOverrides = sqliteTable("ratelimit_override", {
  userId: text("user_id").primaryKey(),
  messagesPerSecond: real("messages_per_second"),
  burstCount: integer("burst_count"),
});

/**
 * Refresh tokens (hashed). A refresh hands out a successor (`nextTokenHash`);
 * the predecessor stays usable until the successor or its access token is used,
 * so a client whose refresh response got lost can retry.
 */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    nextTokenHash: text("next_token_hash"),
    /** Epoch ms after which the refresh token is refused; null = until used. */
    expiryTs: integer("expiry_ts"),
    /** `session_lifetime` from the login: no refresh of this chain reaches past it. null = unbounded. */
    ultimateSessionExpiryTs: integer("ultimate_session_expiry_ts"),
    createdTs: integer("created_ts").notNull(),
  },
  (t) => [index("refresh_tokens_user_device").on(t.userId, t.deviceId), index("refresh_tokens_next").on(t.nextTokenHash)],
);

/** User-interactive auth sessions: kept in the database so a flow survives a restart. */
export const uiAuthSessions = sqliteTable(
  "ui_auth_sessions",
  {
    sessionId: text("session_id").primaryKey(),
    createdTs: integer("created_ts").notNull(),
    /** The path and method the session was started for; a session cannot be replayed elsewhere. */
    uri: text("uri").notNull(),
    method: text("method").notNull(),
    /** The request body minus `auth` (and minus any plain password). */
    clientdict: text("clientdict", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** Server-side data the client cannot change (password hash, registered user...). */
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** Completed stages and what each returned. */
    completed: text("completed", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index("ui_auth_sessions_created").on(t.createdTs)],
);

/** Tokens that allow registering when `registration_requires_token` is on (Synapse's columns). */
export const registrationTokens = sqliteTable("registration_tokens", {
  token: text("token").primaryKey(),
  /** null = unlimited. */
  usesAllowed: integer("uses_allowed"),
  /** Registrations that passed the token stage but have not finished yet. */
  pending: integer("pending").notNull().default(0),
  completed: integer("completed").notNull().default(0),
  /** Epoch ms; null = never expires. */
  expiryTime: integer("expiry_time"),
});

/**
 * Global (roomId "") and per-room account data. The autoincrementing id is the
 * account-data stream position: an update replaces the row, so it gets a new one.
 */
export const accountData = sqliteTable(
  "account_data",
  {
    streamId: integer("stream_id").primaryKey({ autoIncrement: true }),
    userId: text("user_id").notNull(),
    roomId: text("room_id").notNull(),
    type: text("type").notNull(),
    content: text("content", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    uniqueIndex("account_data_user_room_type").on(t.userId, t.roomId, t.type),
    index("account_data_user_stream").on(t.userId, t.streamId),
  ],
);

/** Profile fields other than displayname and avatar_url (spec v1.16 custom fields, m.tz). */
export const profileFields = sqliteTable(
  "profile_fields",
  {
    userId: text("user_id").notNull(),
    key: text("key").notNull(),
    value: text("value", { mode: "json" }).$type<unknown>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] })],
);
