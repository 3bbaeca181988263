// What push evaluation reads of an event: from a stored row (after the commit) or from
// the writer's built event (before it).
import type { PDU } from "../matrix/events.ts";
import type { EventToPersist } from "../storage/stores/event-persist.ts";
import type { EventRow } from "../storage/stores/events.ts";

/** An event the writer is about to commit (a BuiltEvent). */
export interface PendingEvent {
  eventId: string;
  pdu: PDU;
  row: EventToPersist;
}

/** What evaluation reads of an event, from a stored row or a pending one. */
export interface EventView {
  roomId: string;
  eventId: string;
  /** 0 until the event is committed (the commit hook fills the outcome rows in then). */
  streamOrdering: number;
  type: string;
  stateKey: string | null;
  sender: string;
  membership: string | null;
  content: Record<string, unknown>;
  originServerTs: number;
  relType: string | null;
  relatesTo: string | null;
}

export function viewOfRow(row: EventRow): EventView {
  const pdu = JSON.parse(row.pdu) as PDU;
  return { ...row, content: pdu.content ?? {} };
}

export function viewOfPending(e: PendingEvent): EventView {
  const r = e.row;
  return {
    roomId: r.roomId,
    eventId: e.eventId,
    streamOrdering: 0,
    type: r.type,
    stateKey: r.stateKey,
    sender: r.sender,
    membership: r.membership,
    content: e.pdu.content ?? {},
    originServerTs: r.originServerTs,
    relType: r.relType,
    relatesTo: r.relatesTo,
  };
}
