// Per-user room data that follows a room upgrade for local members (behaviour spec §7.3
// step 11): room tags (m.tag room account data) and m.direct entries. Room-specific push
// rules are not copied (yet).
import { getLogger } from "@logtape/logtape";
import type { AccountDataService } from "../accounts/account-data.ts";
import { MatrixError } from "../http/errors.ts";

const log = () => getLogger(["hearth", "rooms", "upgrade"]);

/** m.direct with `newRoomId` added to the list holding `oldRoomId`; null when nothing changes. */
export function directWithRoom(direct: Record<string, unknown>, oldRoomId: string, newRoomId: string): Record<string, unknown> | null {
  for (const [key, rooms] of Object.entries(direct)) {
    if (Array.isArray(rooms) && rooms.includes(oldRoomId) && !rooms.includes(newRoomId)) {
      return { ...direct, [key]: [...rooms, newRoomId] };
    }
  }
  return null;
}

async function readOrNull(read: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown> | null> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof MatrixError && err.status === 404) return null;
    throw err;
  }
}

export async function copyUserRoomData(accountData: AccountDataService, userIds: string[], oldRoomId: string, newRoomId: string): Promise<void> {
  for (const userId of userIds) {
    try {
      const direct = await readOrNull(() => accountData.getGlobal(userId, "m.direct"));
      const updated = direct && directWithRoom(direct, oldRoomId, newRoomId);
      if (updated) await accountData.setInternal(userId, null, "m.direct", updated);
      const tags = await readOrNull(() => accountData.getForRoom(userId, oldRoomId, "m.tag"));
      if (tags && Object.keys((tags.tags as Record<string, unknown> | undefined) ?? {}).length > 0) {
        await accountData.setInternal(userId, newRoomId, "m.tag", tags);
      }
    } catch (err) {
      log().warn("Could not copy room data of {userId} to {roomId}: {error}", { userId, roomId: newRoomId, error: err });
    }
  }
}
