// Sending message, state and redaction events for a client: transaction-id idempotency,
// rc_message, redaction permissions, and routing of member state to the membership code.
import type { Requester } from "../http/context.ts";
import { MatrixError, badJson, forbidden, invalidParam } from "../http/errors.ts";
import { isValidEventId, isValidEventType, isValidStateKey } from "../matrix/identifiers.ts";
import { stateKey } from "../matrix/events.ts";
import { namedPowerLevel, userPowerLevel } from "../matrix/power-levels.ts";
import type { RateLimiters } from "../ratelimit/limiters.ts";
import type { EventsStore } from "../storage/stores/events.ts";
import { txnScopeOf } from "./client-format.ts";
import { authStateFor, type NewEvent } from "./event-builder.ts";
import type { RoomHeadCache } from "./room-head.ts";
import type { RoomEvents } from "./room-events.ts";
import { RepeatedTransaction } from "./event-writer.ts";

export interface SendDeps {
  events: RoomEvents;
  heads: RoomHeadCache;
  eventsStore: EventsStore;
  limiters: RateLimiters;
  /** Member state sent through PUT /state goes through the membership rules. */
  setMemberState(requester: Requester, roomId: string, target: string, content: Record<string, unknown>): Promise<string>;
  /** Content checks beyond the auth rules (canonical aliases must point to the room). */
  checkState?(roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<void>;
}

export class RoomSending {
  /** Sends in flight per (scope, room, txn), so a retry racing the original joins it. */
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(private readonly deps: SendDeps) {}

  /** PUT /rooms/{roomId}/send/{eventType}/{txnId}. Returns the event id. */
  async sendMessage(requester: Requester, roomId: string, type: string, content: Record<string, unknown>, txnId: string): Promise<string> {
    checkEventType(type);
    if (type === "m.room.redaction") {
      const redacts = content.redacts;
      if (typeof redacts !== "string") throw badJson("m.room.redaction needs content.redacts");
      return this.redact(requester, roomId, redacts, content, txnId);
    }
    return this.#idempotent(requester, roomId, txnId, async (txn) => {
      this.#rateLimit(requester);
      const [sent] = await this.deps.events.create(roomId, [{ type, content, sender: requester.userId, txn }]);
      return sent!.eventId;
    });
  }

  /** PUT /rooms/{roomId}/state/{eventType}/{stateKey}. Returns the event id. */
  async sendState(requester: Requester, roomId: string, type: string, key: string, content: Record<string, unknown>): Promise<string> {
    checkEventType(type);
    if (!isValidStateKey(key)) throw new MatrixError(413, "M_TOO_LARGE", "'state_key' is longer than 255 bytes");
    if (type === "m.room.member") return this.deps.setMemberState(requester, roomId, key, content);
    this.#rateLimit(requester);
    await this.deps.checkState?.(roomId, type, key, content);
    const [sent] = await this.deps.events.create(roomId, [{ type, stateKey: key, content, sender: requester.userId }], { dedupe: true });
    return sent!.eventId;
  }

  /** PUT /rooms/{roomId}/redact/{eventId}/{txnId}. Returns the redaction's event id. */
  async redact(requester: Requester, roomId: string, targetId: string, content: Record<string, unknown>, txnId: string): Promise<string> {
    if (!isValidEventId(targetId)) throw invalidParam("Invalid event id");
    const { redacts: _ignored, ...rest } = content;
    return this.#idempotent(requester, roomId, txnId, async (txn) => {
      const target = await this.deps.eventsStore.get(targetId);
      if (target && target.roomId !== roomId) throw new MatrixError(400, "M_INVALID_PARAM", "Cannot redact event from a different room");
      if (target?.type === "m.room.create") throw forbidden("Redacting create events is not permitted");
      const ownEvent = target !== undefined && target.sender === requester.userId;
      if (!ownEvent) await this.#checkRedactPower(requester.userId, roomId);
      const limiter = !ownEvent && this.deps.limiters.adminRedaction ? this.deps.limiters.adminRedaction : this.deps.limiters.message;
      limiter.ratelimit({ requester: requester.userId });
      const event: NewEvent = { type: "m.room.redaction", content: rest, sender: requester.userId, redacts: targetId, txn };
      const [sent] = await this.deps.events.create(roomId, [event]);
      return sent!.eventId;
    });
  }

  /** Redacting someone else's event needs the redact level (checked here: the auth rules do not). */
  async #checkRedactPower(userId: string, roomId: string): Promise<void> {
    const head = await this.deps.heads.get(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", `Unknown room ${roomId}`);
    await this.deps.heads.loadMembers(head, [userId]);
    const state = authStateFor(head, { type: "m.room.redaction", content: {}, sender: userId });
    if (!state.has(stateKey("m.room.member", userId)) || state.get(stateKey("m.room.member", userId))!.pdu.content?.membership !== "join") {
      throw forbidden("User is not in the room");
    }
    if (userPowerLevel(state, userId, head.roomVersion) < namedPowerLevel(state, "redact")) {
      throw forbidden("You don't have permission to redact events");
    }
  }

  #rateLimit(requester: Requester): void {
    this.deps.limiters.message.ratelimit({ requester: requester.userId });
  }

  async #idempotent(
    requester: Requester,
    roomId: string,
    txnId: string,
    send: (txn: { scope: string; txnId: string }) => Promise<string>,
  ): Promise<string> {
    if (txnId.length === 0 || txnId.length > 255) throw invalidParam("Invalid transaction id");
    const scope = txnScopeOf(requester);
    const key = `${scope}\u0000${roomId}\u0000${txnId}`;
    const running = this.#inFlight.get(key);
    if (running) return running;
    // Sent without looking the id up first: the writer checks it in the transaction that
    // writes the event, and refuses a repeat with the earlier event's id. A repeat the
    // request path refuses earlier (rate limited, the sender has left) is looked up here,
    // so a retry still gets its first answer. Unlike Synapse's cache, a repeat that passes
    // spends a rate-limit token.
    const promise = (async () => {
      try {
        return await send({ scope, txnId });
      } catch (err) {
        if (err instanceof RepeatedTransaction) return err.eventId;
        const existing = await this.deps.eventsStore.eventForTxn(scope, roomId, txnId).catch(() => undefined);
        if (existing) return existing;
        throw err;
      }
    })();
    this.#inFlight.set(key, promise);
    try {
      return await promise;
    } finally {
      this.#inFlight.delete(key);
    }
  }
}

function checkEventType(type: string): void {
  if (!isValidEventType(type)) {
    if (type.length === 0) throw invalidParam("Event type must not be empty");
    throw new MatrixError(413, "M_TOO_LARGE", "'type' is longer than 255 bytes");
  }
}
