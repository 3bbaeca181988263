import type { EventRow } from "./events.ts";

/**
 * The events table's columns under EventRow's names, for the plain-SQL reads of hot paths
 * (the query builder costs ~35 µs a statement; see SqlExec). Map each row with eventRowOf.
 */
export const EVENT_ROW_COLUMNS = [
  `stream_ordering AS "streamOrdering"`,
  `event_id AS "eventId"`,
  `room_id AS "roomId"`,
  `depth AS "depth"`,
  `type AS "type"`,
  `state_key AS "stateKey"`,
  `sender AS "sender"`,
  `origin_server_ts AS "originServerTs"`,
  `membership AS "membership"`,
  `pdu AS "pdu"`,
  `unsigned AS "unsigned"`,
  `state_group AS "stateGroup"`,
  `redacted_by AS "redactedBy"`,
  `rel_type AS "relType"`,
  `relates_to AS "relatesTo"`,
  `contains_url AS "containsUrl"`,
  `txn_scope AS "txnScope"`,
  `txn_id AS "txnId"`,
].join(", ");

/** A plain-SQL row selected with EVENT_ROW_COLUMNS as the builder would return it (PostgreSQL BIGINTs arrive as strings). */
export function eventRowOf(r: Record<string, unknown>): EventRow {
  return {
    streamOrdering: Number(r.streamOrdering),
    eventId: r.eventId as string,
    roomId: r.roomId as string,
    depth: Number(r.depth),
    type: r.type as string,
    stateKey: (r.stateKey as string | null) ?? null,
    sender: r.sender as string,
    originServerTs: Number(r.originServerTs),
    membership: (r.membership as string | null) ?? null,
    pdu: r.pdu as string,
    unsigned: (r.unsigned as string | null) ?? null,
    stateGroup: Number(r.stateGroup),
    redactedBy: (r.redactedBy as string | null) ?? null,
    relType: (r.relType as string | null) ?? null,
    relatesTo: (r.relatesTo as string | null) ?? null,
    containsUrl: Boolean(r.containsUrl),
    txnScope: (r.txnScope as string | null) ?? null,
    txnId: (r.txnId as string | null) ?? null,
  };
}
