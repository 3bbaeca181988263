// Membership changes requested by local users: join, invite, leave, kick, ban, unban,
// knock, forget, and member events that follow profile changes. The authorisation rules
// decide what is allowed; this adds the profile to the content, the rate limits, the
// no-op dedupe, and Synapse's extra refusals.
import type { Requester } from "../http/context.ts";
import { MatrixError, forbidden, invalidParam, notFound } from "../http/errors.ts";
import { isValidUserId } from "../matrix/identifiers.ts";
import type { RateLimiters } from "../ratelimit/limiters.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import { membershipOf, type RoomHeadCache } from "./room-head.ts";
import type { RoomEvents } from "./room-events.ts";
import type { RestrictedJoins } from "./restricted-join.ts";

export type MembershipAction = "join" | "invite" | "leave" | "kick" | "ban" | "unban" | "knock";

export interface MembershipDeps {
  serverName: string;
  events: RoomEvents;
  heads: RoomHeadCache;
  rooms: RoomsStore;
  users: UsersStore;
  limiters: RateLimiters;
  /** Rooms an admin blocked: nobody may join, be invited to or knock on them. */
  isBlocked?: (roomId: string) => Promise<boolean>;
  /** Fills join_authorised_via_users_server on joins to restricted rooms. */
  restrictedJoins?: RestrictedJoins;
}

const MEMBERSHIP_OF: Record<MembershipAction, string> = {
  join: "join",
  invite: "invite",
  leave: "leave",
  kick: "leave",
  ban: "ban",
  unban: "leave",
  knock: "knock",
};

export class MembershipService {
  constructor(private readonly deps: MembershipDeps) {}

  /**
   * Changes `target`'s membership in `roomId` as `requester`. `extra` is merged into the
   * content (reason, is_direct, per-room displayname...). Returns the member event id.
   */
  async update(
    requester: Requester,
    roomId: string,
    action: MembershipAction,
    opts: { target?: string; reason?: string; extra?: Record<string, unknown>; ratelimit?: boolean } = {},
  ): Promise<string> {
    const sender = requester.userId;
    const target = opts.target ?? sender;
    if (!isValidUserId(target, { historical: true })) throw invalidParam("Invalid user id");
    const selfAction = action === "join" || action === "leave" || action === "knock";
    if (selfAction && target !== sender) throw forbidden("Cannot change another user's membership this way");
    const membership = MEMBERSHIP_OF[action];
    if ((membership === "join" || membership === "invite" || membership === "knock") && (await this.deps.isBlocked?.(roomId))) {
      throw forbidden("This room has been blocked on this server");
    }

    const head = await this.deps.heads.get(roomId);
    if (!head) throw notFound(action === "join" || action === "knock" ? "No known servers" : `Unknown room ${roomId}`);
    await this.deps.heads.loadMembers(head, [sender, target]);
    const current = membershipOf(head, target);

    if (requester.isGuest && action === "join" && current !== "join") await this.#checkGuestAccess(roomId);
    if (action === "kick" && current !== "join" && current !== "invite" && current !== "knock") {
      throw forbidden("The target user is not in the room");
    }
    if (action === "unban" && current !== "ban") throw forbidden("The target user is not banned");
    if (action === "invite" && current === "join") throw forbidden(`${target} is already in the room.`);
    if (action === "invite" && current === "ban") throw forbidden(`${target} is banned from the room`);

    const content: Record<string, unknown> = { ...opts.extra, membership };
    if (opts.reason !== undefined) content.reason = opts.reason;
    if (membership === "join" || membership === "invite") await this.#addProfile(content, target);
    if (action === "join" && current !== "join" && current !== "invite" && this.deps.restrictedJoins) {
      const authoriser = await this.deps.restrictedJoins.authoriserFor(head, target);
      if (authoriser !== undefined) content.join_authorised_via_users_server = authoriser;
    }

    if (opts.ratelimit !== false) this.#rateLimit(requester, roomId, action, target, current);
    const [sent] = await this.deps.events.create(
      roomId,
      [{ type: "m.room.member", stateKey: target, content, sender }],
      { dedupe: true },
    );
    if (action === "join" && current !== "join" && sent!.streamOrdering !== undefined) {
      this.deps.limiters.joinsPerRoom.recordAction({ key: roomId });
    }
    return sent!.eventId;
  }

  /** POST /rooms/{roomId}/forget: only after leaving (or being banned). */
  async forget(requester: Requester, roomId: string): Promise<void> {
    const row = await this.deps.rooms.membership(roomId, requester.userId);
    if (row && row.membership !== "leave" && row.membership !== "ban") {
      throw new MatrixError(400, "M_UNKNOWN", `User ${requester.userId} is in room ${roomId}`);
    }
    if (row) await this.deps.rooms.forget(roomId, requester.userId);
  }

  /** Re-sends the user's join event in every joined room with their current profile. */
  async updateProfileInRooms(userId: string): Promise<void> {
    const requester: Requester = { userId, deviceId: null, isGuest: false, isAdmin: false, tokenId: "" };
    for (const roomId of await this.deps.rooms.joinedRoomIds(userId)) {
      const head = await this.deps.heads.get(roomId);
      if (!head) continue;
      await this.deps.heads.loadMembers(head, [userId]);
      const member = head.members.get(userId);
      if (membershipOf(head, userId) !== "join" || !member) continue;
      // Keep per-room extras (reason, is_direct...) but take the new global profile.
      const { displayname: _d, avatar_url: _a, ...rest } = member.pdu.content ?? {};
      try {
        await this.update(requester, roomId, "join", { extra: rest, ratelimit: false });
      } catch (err) {
        if (!(err instanceof MatrixError)) throw err;
      }
    }
  }

  async #addProfile(content: Record<string, unknown>, userId: string): Promise<void> {
    if (userId.slice(userId.indexOf(":") + 1) !== this.deps.serverName) return;
    const user = await this.deps.users.get(userId);
    if (!user) return;
    if (user.displayname && content.displayname === undefined) content.displayname = user.displayname;
    if (user.avatarUrl && content.avatar_url === undefined) content.avatar_url = user.avatarUrl;
  }

  async #checkGuestAccess(roomId: string): Promise<void> {
    const head = await this.deps.heads.get(roomId);
    const access = head?.state.get("m.room.guest_access\u0000")?.pdu.content?.guest_access;
    if (access !== "can_join") throw new MatrixError(403, "M_FORBIDDEN", "Guest access not allowed");
  }

  #rateLimit(requester: Requester, roomId: string, action: MembershipAction, target: string, current: string | undefined): void {
    const l = this.deps.limiters;
    const who = { requester: requester.userId };
    if (action === "join" && current !== "join") {
      l.joinsLocal.ratelimit(who);
      l.joinsPerRoom.ratelimit({ ...who, key: roomId, update: false });
    }
    if (action === "invite") {
      l.invitesPerRoom.ratelimit({ ...who, key: roomId });
      l.invitesPerUser.ratelimit({ ...who, key: target });
      l.invitesPerIssuer.ratelimit(who);
    }
  }
}
