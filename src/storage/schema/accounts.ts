import { sqliteTable, text, integer, real, index, primaryKey } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  userId: text("user_id").primaryKey(),
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
});

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
  },
  (t) => [index("access_tokens_user_device").on(t.userId, t.deviceId)],
);

/** Per-user rate-limit overrides (admin API); 0/null messages_per_second exempts the user. */
export const ratelimitOverrides = sqliteTable("ratelimit_override", {
  userId: text("user_id").primaryKey(),
  messagesPerSecond: real("messages_per_second"),
  burstCount: integer("burst_count"),
});
