// Where room aliases come from, as the room logic needs them (join by alias, createRoom
// with room_alias_name). The directory implementation replaces `NoRoomAliases` on the
// RoomService (`services.rooms.aliases = ...`) when it exists.
import { MatrixError } from "../http/errors.ts";

export interface RoomAliases {
  /** The room an alias points to, or null when the alias is unknown. */
  resolve(alias: string): Promise<{ roomId: string; servers: string[] } | null>;
  /** Throws (400 M_ROOM_IN_USE or similar) unless `alias` can be created by `userId`. */
  checkAvailable(alias: string, userId: string): Promise<void>;
  /** Maps a new local alias to a room; called after the room exists. */
  create(alias: string, roomId: string, creator: string): Promise<void>;
}

/** Until the directory exists: no alias resolves and none can be created. */
export class NoRoomAliases implements RoomAliases {
  async resolve(): Promise<null> {
    return null;
  }

  async checkAvailable(): Promise<void> {
    throw new MatrixError(400, "M_UNKNOWN", "Room aliases are not supported by this server yet");
  }

  async create(): Promise<void> {
    throw new MatrixError(400, "M_UNKNOWN", "Room aliases are not supported by this server yet");
  }
}
