// Where room aliases come from, as the room logic needs them (join by alias, createRoom
// with room_alias_name, canonical alias validation, admin shutdown). The directory
// (room-aliases.ts) replaces `NoRoomAliases` on the RoomService (`rooms.aliases = ...`).
import { MatrixError } from "../http/errors.ts";

export interface RoomAliases {
  /** The room an alias points to, or null when the alias is unknown. */
  resolve(alias: string): Promise<{ roomId: string; servers: string[] } | null>;
  /** Throws (400 M_ROOM_IN_USE or similar) unless `alias` can be created by `userId`. */
  checkAvailable(alias: string, userId: string): Promise<void>;
  /** Maps a new local alias to a room (400 M_ROOM_IN_USE when it is taken). */
  create(alias: string, roomId: string, creator: string): Promise<void>;
  /** Removes a mapping (undoing `create` when the room could not be created). */
  remove?(alias: string): Promise<void>;
  /** Points every local alias of `fromRoomId` at `toRoomId`; returns the aliases moved. */
  moveAll?(fromRoomId: string, toRoomId: string, creator?: string): Promise<string[]>;
}

/** Without a directory: no alias resolves and none can be created. */
export class NoRoomAliases implements RoomAliases {
  async resolve(): Promise<null> {
    return null;
  }

  async checkAvailable(): Promise<void> {
    throw new MatrixError(400, "M_UNKNOWN", "Room aliases are not supported by this server");
  }

  async create(): Promise<void> {
    throw new MatrixError(400, "M_UNKNOWN", "Room aliases are not supported by this server");
  }

  async remove(): Promise<void> {}

  async moveAll(): Promise<string[]> {
    return [];
  }
}
