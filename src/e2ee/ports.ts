// What the e2ee concern needs from other concerns, as narrow interfaces so it can be
// built and tested on its own and wired to the real notifier and rooms in services.ts.

/** Wakes long-polling /sync requests of the given users. */
export interface E2eeWaker {
  wakeUsers(stream: "to_device" | "device_lists", position: number, userIds: Iterable<string>): void;
}

/** Who shares a room with whom (current `join` memberships). */
export interface RoomSharing {
  /** Every user joined to a room `userId` is joined to (`userId` included when joined anywhere). */
  usersSharingRoomWith(userId: string): Promise<Set<string>>;
  /** Of `candidates`, those joined to a room `userId` is joined to. */
  whoSharesRoomWith(userId: string, candidates: string[]): Promise<Set<string>>;
}

export type Json = Record<string, unknown>;

export const noopWaker: E2eeWaker = { wakeUsers() {} };
