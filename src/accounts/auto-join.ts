import { getLogger } from "@logtape/logtape";
import type { Requester } from "../http/context.ts";
import { stateKey } from "../matrix/events.ts";
import type { RoomService } from "../rooms/service.ts";
import type { AutoJoinSettings } from "./account-config.ts";
import type { UserRegistered } from "./registration.ts";

const log = getLogger(["hearth", "accounts", "auto_join"]);

/** What auto-joining needs from the rooms concern. */
export interface AutoJoinRoomOps {
  /** A room id for an alias or id; null when the alias is unknown. */
  resolve(roomIdOrAlias: string): Promise<string | null>;
  /** The room's join rule, undefined when this server does not know the room. */
  joinRule(roomId: string): Promise<string | undefined>;
  createRoom(creator: string, req: { preset: AutoJoinSettings["preset"]; room_alias_name: string; invite?: string[]; creation_content?: Record<string, unknown> }): Promise<string>;
  join(userId: string, roomId: string): Promise<void>;
  invite(inviter: string, roomId: string, target: string): Promise<void>;
}

/** The server acting as a user (Synapse's create_requester): no device, not a guest, never rate-limited here. */
const actingAs = (userId: string): Requester => ({ userId, deviceId: null, isGuest: false, isAdmin: false, tokenId: "" });

export function roomServiceOps(rooms: RoomService): AutoJoinRoomOps {
  return {
    resolve: (room) => rooms.resolveRoom(room),
    async joinRule(roomId) {
      const head = await rooms.heads.get(roomId);
      if (!head) return undefined;
      const rule = head.state.get(stateKey("m.room.join_rules", ""))?.pdu.content.join_rule;
      return typeof rule === "string" ? rule : "invite";
    },
    createRoom: async (creator, req) => (await rooms.createRoom(actingAs(creator), req)).roomId,
    join: async (userId, roomId) => void (await rooms.membership.update(actingAs(userId), roomId, "join", { ratelimit: false })),
    invite: async (inviter, roomId, target) =>
      void (await rooms.membership.update(actingAs(inviter), roomId, "invite", { target, ratelimit: false })),
  };
}

const NOT_REAL_USER_TYPES = ["bot", "support"];

/**
 * `auto_join_rooms`: new users join these rooms as they register. When the
 * first real user registers (with `autocreate_auto_join_rooms`), rooms with
 * local aliases are created first, by that user or `auto_join_mxid_localpart`.
 * A room that cannot be joined is logged and skipped; registration still succeeds.
 */
export class AutoJoin {
  constructor(
    private readonly settings: AutoJoinSettings,
    private readonly serverName: string,
    private readonly rooms: AutoJoinRoomOps,
    private readonly countRealUsers: () => Promise<number>,
  ) {}

  async onUserRegistered(e: UserRegistered): Promise<void> {
    const s = this.settings;
    if (s.rooms.length === 0) return;
    if (e.guest && !s.forGuests) {
      log.info("Skipping auto-join for {userId} because auto-join for guests is disabled", { userId: e.userId });
      return;
    }
    const real = e.userType === null || !NOT_REAL_USER_TYPES.includes(e.userType);
    if (s.autocreate && real && (await this.countRealUsers()) === 1) await this.#createAndJoin(e.userId);
    else await this.#join(e.userId);
  }

  async #createAndJoin(userId: string): Promise<void> {
    const s = this.settings;
    const creator = s.creatorUserId ?? userId;
    for (const room of s.rooms) {
      await this.#attempt(userId, room, async () => {
        const alias = room.startsWith("#") ? parseAlias(room) : undefined;
        if (!alias || alias.server !== this.serverName) {
          // A remote alias or a room id cannot be created here: joining is the best that can be done.
          const roomId = await this.#resolve(room);
          await this.rooms.join(userId, roomId);
          return;
        }
        const roomId = await this.rooms.createRoom(creator, {
          preset: s.preset,
          room_alias_name: alias.localpart,
          ...(s.creatorUserId && s.requiresInvite ? { invite: [userId] } : {}),
          ...(s.federated ? {} : { creation_content: { "m.federate": false } }),
        });
        if (creator !== userId) await this.rooms.join(userId, roomId);
      });
    }
  }

  async #join(userId: string): Promise<void> {
    for (const room of this.settings.rooms) {
      await this.#attempt(userId, room, async () => {
        const roomId = await this.#resolve(room);
        const rule = await this.rooms.joinRule(roomId);
        // A room this server is in and that is not public needs an invitation first.
        if (rule !== undefined && rule !== "public") {
          const inviter = this.settings.creatorUserId;
          if (!inviter) throw new Error(`${room} is not public and auto_join_mxid_localpart is not set to invite from`);
          await this.rooms.invite(inviter, roomId, userId);
        }
        await this.rooms.join(userId, roomId);
      });
    }
  }

  async #resolve(room: string): Promise<string> {
    const roomId = await this.rooms.resolve(room);
    if (!roomId) throw new Error(`${room} does not resolve to a room`);
    return roomId;
  }

  async #attempt(userId: string, room: string, fn: () => Promise<void>): Promise<void> {
    log.info("Auto-joining {userId} to {room}", { userId, room });
    try {
      await fn();
    } catch (err) {
      log.error("Failed to join new user {userId} to {room}: {error}", { userId, room, error: err });
    }
  }
}

function parseAlias(alias: string): { localpart: string; server: string } | undefined {
  const colon = alias.indexOf(":");
  return colon > 1 ? { localpart: alias.slice(1, colon), server: alias.slice(colon + 1) } : undefined;
}
