// The room directory: local room aliases. Whether a room is published in the public
// room list is `rooms.is_public` (schema/rooms.ts).
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

/** Local aliases (`#localpart:this.server`) and the room each points to. */
export const roomAliases = sqliteTable(
  "room_aliases",
  {
    alias: text("room_alias").primaryKey(),
    roomId: text("room_id").notNull(),
    /** Who created the mapping: the creator may always delete it. */
    creator: text("creator").notNull(),
    createdTs: integer("created_ts").notNull(),
  },
  (t) => [index("room_aliases_room").on(t.roomId)],
);
