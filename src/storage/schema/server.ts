import { sqliteTable, text, integer } from "drizzle-orm/sqlite-core";

/** Public halves of this server's signing keys, including retired ones, for verification. */
export const serverSigningKeys = sqliteTable("server_signing_keys", {
  keyId: text("key_id").primaryKey(),
  publicKey: text("public_key").notNull(),
  createdTs: integer("created_ts").notNull(),
  /** Set when the key is retired; null while it is the active key. */
  expiredTs: integer("expired_ts"),
});
