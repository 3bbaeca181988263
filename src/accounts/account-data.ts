import { MatrixError, invalidParam, notFound } from "../http/errors.ts";
import { isValidRoomId, MAX_IDENTIFIER_BYTES, utf8Length } from "../matrix/identifiers.ts";
import { GLOBAL_ROOM, type AccountDataStore } from "../storage/stores/account-data.ts";
import { Listeners } from "./listeners.ts";

export interface AccountDataChanged {
  userId: string;
  /** null for global account data. */
  roomId: string | null;
  type: string;
  streamId: number;
}

/** Types with their own endpoints, which /account_data must not write (Synapse's rule). */
function checkWritableType(type: string): void {
  if (type === "m.fully_read") {
    throw new MatrixError(405, "M_BAD_JSON", "Cannot set m.fully_read through this API. Use /rooms/!roomId:server.name/read_markers");
  }
  if (type === "m.push_rules") throw new MatrixError(405, "M_BAD_JSON", "Cannot set m.push_rules through this API. Use /pushrules");
}

function checkType(type: string): void {
  if (type.length === 0 || utf8Length(type) > MAX_IDENTIFIER_BYTES) throw invalidParam("Invalid account data type");
}

function checkRoom(roomId: string): void {
  if (!isValidRoomId(roomId)) throw invalidParam(`${roomId.slice(0, 300)} is not a valid room ID`);
}

/** Per-user key/value JSON, global or per room, delivered to the user's clients by /sync. */
export class AccountDataService {
  /** Fired after a write; sync wakes the user's long-polls. */
  readonly onAccountDataChanged = new Listeners<AccountDataChanged>("account_data_changed");

  constructor(private readonly store: AccountDataStore) {}

  async setGlobal(userId: string, type: string, content: Record<string, unknown>): Promise<number> {
    checkType(type);
    checkWritableType(type);
    return this.#put(userId, null, type, content);
  }

  async setForRoom(userId: string, roomId: string, type: string, content: Record<string, unknown>): Promise<number> {
    checkRoom(roomId);
    checkType(type);
    checkWritableType(type);
    return this.#put(userId, roomId, type, content);
  }

  async getGlobal(userId: string, type: string): Promise<Record<string, unknown>> {
    checkType(type);
    const content = await this.store.get(userId, GLOBAL_ROOM, type);
    if (content === undefined) throw notFound("Account data not found");
    return content;
  }

  async getForRoom(userId: string, roomId: string, type: string): Promise<Record<string, unknown>> {
    checkRoom(roomId);
    checkType(type);
    const content = await this.store.get(userId, roomId, type);
    if (content === undefined) throw notFound("Room account data not found");
    return content;
  }

  /**
   * Writes account data the server itself maintains (e.g. m.fully_read from
   * read markers, m.direct on invites), bypassing the client-facing type rules.
   */
  async setInternal(userId: string, roomId: string | null, type: string, content: Record<string, unknown>): Promise<number> {
    return this.#put(userId, roomId, type, content);
  }

  async #put(userId: string, roomId: string | null, type: string, content: Record<string, unknown>): Promise<number> {
    const streamId = await this.store.put(userId, roomId ?? GLOBAL_ROOM, type, content);
    await this.onAccountDataChanged.emit({ userId, roomId, type, streamId });
    return streamId;
  }
}
