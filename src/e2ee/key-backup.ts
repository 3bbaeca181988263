import { MatrixError, notFound } from "../http/errors.ts";
import type { BackupVersion, E2eeKeyBackupStore, StoredRoomKey } from "../storage/stores/e2ee-key-backup.ts";
import type { Json } from "./ports.ts";

export interface BackupVersionInfo {
  algorithm: string;
  auth_data: Json;
  version: string;
  etag: string;
  count: number;
}

export interface KeyBackupData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: Json;
}

export interface BackupUpdate {
  etag: string;
  count: number;
}

export type RoomsKeyBackup = Record<string, { sessions: Record<string, KeyBackupData> }>;

/** Server-side key backup: /room_keys/version and /room_keys/keys. */
export class KeyBackupService {
  constructor(private readonly store: E2eeKeyBackupStore) {}

  async createVersion(userId: string, algorithm: string, authData: Json): Promise<string> {
    return String(await this.store.createVersion(userId, algorithm, authData));
  }

  /** The given version, or the current one when `version` is undefined. */
  async versionInfo(userId: string, version?: string): Promise<BackupVersionInfo> {
    const row = version === undefined ? await this.store.currentVersion(userId) : await this.#existing(userId, version);
    if (!row) throw notFound(version === undefined ? "No current backup version" : "Unknown backup version");
    return {
      algorithm: row.algorithm,
      auth_data: row.authData,
      version: String(row.version),
      etag: String(row.etag),
      count: await this.store.countKeys(userId, row.version),
    };
  }

  async updateVersion(userId: string, version: string, body: { algorithm: string; auth_data: Json; version?: string }): Promise<void> {
    if (body.version !== undefined && body.version !== version) {
      throw new MatrixError(400, "M_INVALID_PARAM", "Version in body does not match");
    }
    const row = await this.#existing(userId, version);
    if (!row) throw notFound("Unknown backup version");
    if (row.algorithm !== body.algorithm) throw new MatrixError(400, "M_INVALID_PARAM", "Algorithm does not match");
    await this.store.updateAuthData(userId, row.version, body.auth_data);
  }

  /** Deletes the version and its keys; deleting an already deleted version succeeds. */
  async deleteVersion(userId: string, version: string): Promise<void> {
    const n = parseVersion(version);
    const row = n === null ? undefined : await this.store.version(userId, n);
    if (!row) throw notFound("Unknown backup version");
    if (!row.deleted) await this.store.deleteVersion(userId, row.version);
  }

  /** Stores keys in the current version, keeping the better key where one is stored already. */
  async putKeys(userId: string, version: string, rooms: RoomsKeyBackup): Promise<BackupUpdate> {
    const row = await this.#writable(userId, version);
    const keys: StoredRoomKey[] = [];
    for (const [roomId, { sessions }] of Object.entries(rooms)) {
      for (const [sessionId, data] of Object.entries(sessions)) {
        keys.push({
          roomId,
          sessionId,
          firstMessageIndex: data.first_message_index,
          forwardedCount: data.forwarded_count,
          isVerified: data.is_verified,
          sessionData: data.session_data,
        });
      }
    }
    return toUpdate(await this.store.putKeys(userId, row.version, keys));
  }

  async getKeys(userId: string, version: string, roomId?: string, sessionId?: string): Promise<RoomsKeyBackup> {
    const row = await this.#existing(userId, version);
    if (!row || row.deleted) throw notFound("Unknown backup version");
    const rooms: RoomsKeyBackup = {};
    for (const k of await this.store.keys(userId, row.version, roomId, sessionId)) {
      (rooms[k.roomId] ??= { sessions: {} }).sessions[k.sessionId] = {
        first_message_index: k.firstMessageIndex,
        forwarded_count: k.forwardedCount,
        is_verified: k.isVerified,
        session_data: k.sessionData,
      };
    }
    return rooms;
  }

  async deleteKeys(userId: string, version: string, roomId?: string, sessionId?: string): Promise<BackupUpdate> {
    const row = await this.#existing(userId, version);
    if (!row || row.deleted) throw notFound("Unknown backup version");
    return toUpdate(await this.store.deleteKeys(userId, row.version, roomId, sessionId));
  }

  async #existing(userId: string, version: string): Promise<BackupVersion | undefined> {
    const n = parseVersion(version);
    if (n === null) return undefined;
    const row = await this.store.version(userId, n);
    return row && !row.deleted ? row : undefined;
  }

  /** Keys may only be written to the current version: 403 M_WRONG_ROOM_KEYS_VERSION otherwise. */
  async #writable(userId: string, version: string): Promise<BackupVersion> {
    const current = await this.store.currentVersion(userId);
    if (!current) throw notFound(`Version '${version}' not found`);
    if (String(current.version) !== version) {
      if (!(await this.#existing(userId, version))) throw notFound(`Version '${version}' not found`);
      throw new MatrixError(403, "M_WRONG_ROOM_KEYS_VERSION", "Wrong backup version.", { current_version: String(current.version) });
    }
    return current;
  }
}

/** Versions are decimal integers; anything else names no backup. */
function parseVersion(version: string): number | null {
  if (!/^[0-9]{1,15}$/.test(version)) return null;
  return Number(version);
}

function toUpdate(r: { etag: number; count: number }): BackupUpdate {
  return { etag: String(r.etag), count: r.count };
}
