import type { Clock, DelayedCall } from "../observability/clock.ts";

/** Typing notifications time out after at most this long, whatever the client asks. */
export const MAX_TYPING_TIMEOUT_MS = 120_000;

/** Called when a room's typing users changed, with the new typing stream position. */
export type TypingChanged = (roomId: string, position: number) => void;

interface RoomTyping {
  users: Map<string, DelayedCall>;
  /** Position of the last change in this room. */
  position: number;
}

/**
 * Who is typing where. Kept in memory only: typing is ephemeral. The stream
 * position starts at the clock's time on start-up, so positions from before a
 * restart are smaller than any position after it; `startPosition` lets /sync
 * recognise such a token and resend the typing state of every room.
 */
export class TypingService {
  readonly #rooms = new Map<string, RoomTyping>();
  readonly startPosition: number;
  #position: number;

  constructor(
    private readonly clock: Clock,
    private readonly changed: TypingChanged = () => {},
  ) {
    this.startPosition = clock.now();
    this.#position = this.startPosition;
  }

  get currentPosition(): number {
    return this.#position;
  }

  /** Starts (with a timeout) or stops `userId` typing in `roomId`. */
  setTyping(roomId: string, userId: string, typing: boolean, timeoutMs = 30_000): void {
    let room = this.#rooms.get(roomId);
    const existing = room?.users.get(userId);
    existing?.cancel();
    if (!typing) {
      if (!existing) return;
      room!.users.delete(userId);
      this.#bump(roomId, room!);
      return;
    }
    if (!room) {
      room = { users: new Map(), position: 0 };
      this.#rooms.set(roomId, room);
    }
    const ms = Math.max(0, Math.min(timeoutMs, MAX_TYPING_TIMEOUT_MS));
    const timer = this.clock.callLater(ms, () => this.#expire(roomId, userId, timer));
    room.users.set(userId, timer);
    // Renewing a typing notice changes nothing a client sees.
    if (!existing) this.#bump(roomId, room);
  }

  /** The users typing in a room now. */
  typingIn(roomId: string): string[] {
    return [...(this.#rooms.get(roomId)?.users.keys() ?? [])];
  }

  /** Position of the last typing change in `roomId` (0 when none since start-up). */
  roomPosition(roomId: string): number {
    return this.#rooms.get(roomId)?.position ?? 0;
  }

  /** Stops all timers (homeserver stop). */
  stop(): void {
    for (const room of this.#rooms.values()) for (const t of room.users.values()) t.cancel();
    this.#rooms.clear();
  }

  #expire(roomId: string, userId: string, timer: DelayedCall): void {
    const room = this.#rooms.get(roomId);
    if (!room || room.users.get(userId) !== timer) return;
    room.users.delete(userId);
    this.#bump(roomId, room);
  }

  #bump(roomId: string, room: RoomTyping): void {
    room.position = ++this.#position;
    // Keep rooms with nobody typing: /sync must still see the change to "nobody".
    this.changed(roomId, room.position);
  }
}
