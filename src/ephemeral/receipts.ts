import { MatrixError, forbidden, notFound } from "../http/errors.ts";
import type { Clock } from "../observability/clock.ts";
import type { AccountDataStore } from "../storage/stores/account-data.ts";
import type { EventsStore } from "../storage/stores/events.ts";
import type { ReceiptRow, ReceiptsStore } from "../storage/stores/receipts.ts";
import type { RoomsStore } from "../storage/stores/rooms.ts";

export const RECEIPT_TYPES = ["m.read", "m.read.private", "m.fully_read"] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];

/** Receipt types that reset a user's unread counts. */
export const READ_RECEIPT_TYPES: readonly string[] = ["m.read", "m.read.private"];

export interface ReceiptsChanged {
  /** A receipt was stored; private receipts only concern their owner. */
  receipt(roomId: string, userId: string, position: number, isPrivate: boolean): void;
  /** Room account data (m.fully_read) changed. */
  accountData(userId: string, position: number): void;
}

/** Where an event sits: its stream position and thread ("main" outside threads). */
export interface EventPlace {
  streamOrdering: number;
  threadId: string;
}

/**
 * Read receipts and read markers: POST /receipt and /read_markers. Receipts
 * only move forward; an older one is accepted and ignored, as Synapse does.
 */
export class ReceiptsService {
  constructor(
    private readonly clock: Clock,
    private readonly store: ReceiptsStore,
    private readonly rooms: RoomsStore,
    private readonly events: EventsStore,
    private readonly accountData: AccountDataStore,
    private readonly changed: ReceiptsChanged,
  ) {}

  /** POST /rooms/{roomId}/receipt/{receiptType}/{eventId}. */
  async post(userId: string, roomId: string, receiptType: string, eventId: string, body: Record<string, unknown>): Promise<void> {
    if (!(RECEIPT_TYPES as readonly string[]).includes(receiptType)) {
      throw new MatrixError(400, "M_INVALID_PARAM", `Receipt type must be ${RECEIPT_TYPES.map((t) => `'${t}'`).join(", ")}`);
    }
    let threadId: string | undefined;
    if ("thread_id" in body) {
      if (typeof body.thread_id !== "string" || body.thread_id === "") {
        throw new MatrixError(400, "M_INVALID_PARAM", "thread_id field must be a non-empty string");
      }
      if (receiptType === "m.fully_read") {
        throw new MatrixError(400, "M_INVALID_PARAM", `thread_id is not compatible with ${receiptType} receipts.`);
      }
      threadId = body.thread_id;
    }
    await this.#checkJoined(userId, roomId);
    const place = await this.#place(roomId, eventId);
    if (receiptType === "m.fully_read") await this.#setFullyRead(userId, roomId, eventId, place);
    else await this.#store(userId, roomId, receiptType, eventId, place, threadId);
  }

  /** POST /rooms/{roomId}/read_markers. */
  async readMarkers(userId: string, roomId: string, body: Record<string, unknown>): Promise<void> {
    await this.#checkJoined(userId, roomId);
    const fields = ["m.fully_read", "m.read", "m.read.private"] as const;
    for (const f of fields) {
      if (f in body && typeof body[f] !== "string") throw new MatrixError(400, "M_INVALID_PARAM", `${f} must be an event ID`);
    }
    for (const f of fields) {
      const eventId = body[f];
      if (typeof eventId !== "string") continue;
      const place = await this.#place(roomId, eventId);
      if (f === "m.fully_read") await this.#setFullyRead(userId, roomId, eventId, place);
      else await this.#store(userId, roomId, f, eventId, place, undefined);
    }
  }

  /** Where an event of the room sits, or 404. */
  async #place(roomId: string, eventId: string): Promise<EventPlace> {
    const ev = await this.events.get(eventId);
    if (!ev || ev.roomId !== roomId) throw notFound("Event not found in this room");
    return { streamOrdering: Number(ev.streamOrdering), threadId: ev.relType === "m.thread" && ev.relatesTo ? ev.relatesTo : "main" };
  }

  async #checkJoined(userId: string, roomId: string): Promise<void> {
    const m = await this.rooms.membership(roomId, userId);
    if (m?.membership !== "join") throw forbidden("You are not in this room");
  }

  async #store(userId: string, roomId: string, receiptType: string, eventId: string, place: EventPlace, threadId: string | undefined): Promise<void> {
    const data: Record<string, unknown> = { ts: this.clock.now() };
    if (threadId !== undefined) data.thread_id = threadId;
    const position = await this.store.upsert({
      roomId,
      receiptType,
      userId,
      threadId: threadId ?? "",
      eventId,
      eventStreamOrdering: place.streamOrdering,
      data,
    });
    if (position !== undefined) this.changed.receipt(roomId, userId, position, receiptType === "m.read.private");
  }

  /** The fully-read marker is room account data; like receipts it only moves forward. */
  async #setFullyRead(userId: string, roomId: string, eventId: string, place: EventPlace): Promise<void> {
    const current = await this.accountData.get(userId, roomId, "m.fully_read");
    if (typeof current?.event_id === "string") {
      if (current.event_id === eventId) return;
      const old = await this.events.get(current.event_id);
      if (old && Number(old.streamOrdering) > place.streamOrdering) return;
    }
    const position = await this.accountData.put(userId, roomId, "m.fully_read", { event_id: eventId });
    this.changed.accountData(userId, position);
  }
}

/**
 * The `m.receipt` ephemeral event of a room for `viewer`: everyone's public
 * receipts, and the viewer's own private ones.
 */
export function receiptEvent(rows: readonly ReceiptRow[], viewer: string): { type: "m.receipt"; content: Record<string, unknown> } | undefined {
  const content: Record<string, Record<string, Record<string, unknown>>> = {};
  let any = false;
  for (const r of rows) {
    if (r.receiptType === "m.read.private" && r.userId !== viewer) continue;
    const byType = (content[r.eventId] ??= {});
    const byUser = (byType[r.receiptType] ??= {}) as Record<string, unknown>;
    byUser[r.userId] = r.data;
    any = true;
  }
  return any ? { type: "m.receipt", content } : undefined;
}
