// Stored events as clients see them: redactions applied per room version (with
// `redacted_because`), `unsigned` with age, prev_content and the sender's own
// transaction id, and thread summaries bundled on thread roots.
import { clientEventFromPdu, type ClientEvent, type PDU } from "../matrix/events.ts";
import { redactEvent } from "../matrix/redaction.ts";
import type { RoomVersion } from "../matrix/room-versions.ts";
import type { EventRow, EventsStore } from "../storage/stores/events.ts";

export interface SerializeOptions {
  now: number;
  /** The requester's transaction scope, to echo `transaction_id` on their own events. */
  txnScope?: string;
  /** The requester, for `current_user_participated` in thread summaries. */
  userId?: string;
  /** Bundle m.thread summaries on thread roots. */
  bundleThreads?: boolean;
}

/** The transaction-id scope of a requester: per device, else per access token. */
export function txnScopeOf(r: { userId: string; deviceId: string | null; tokenId: string }): string {
  return r.deviceId !== null ? `d:${r.userId}|${r.deviceId}` : `t:${r.tokenId}`;
}

export function parsePdu(row: Pick<EventRow, "pdu">): PDU {
  return JSON.parse(row.pdu) as PDU;
}

/** The event's content as clients see it (empty-ish once redacted). */
export function visibleContent(row: EventRow, rv: RoomVersion): Record<string, unknown> {
  const pdu = parsePdu(row);
  return (row.redactedBy ? redactEvent(pdu, rv) : pdu).content ?? {};
}

export class EventSerializer {
  constructor(
    private readonly events: EventsStore,
    private readonly roomVersionOf: (roomId: string) => Promise<RoomVersion>,
  ) {}

  async serialize(rows: EventRow[], opts: SerializeOptions): Promise<ClientEvent[]> {
    if (rows.length === 0) return [];
    const redactionIds = rows.flatMap((r) => (r.redactedBy ? [r.redactedBy] : []));
    const redactions = redactionIds.length > 0 ? await this.events.getMany(redactionIds) : new Map<string, EventRow>();
    const threads = opts.bundleThreads ? await this.#threadSummaries(rows, opts) : new Map<string, Record<string, unknown>>();
    const out: ClientEvent[] = [];
    for (const row of rows) {
      const rv = await this.roomVersionOf(row.roomId);
      const unsigned: Record<string, unknown> = row.unsigned ? (JSON.parse(row.unsigned) as Record<string, unknown>) : {};
      unsigned.age = Math.max(0, opts.now - row.originServerTs);
      if (opts.txnScope !== undefined && row.txnId !== null && row.txnScope === opts.txnScope) unsigned.transaction_id = row.txnId;
      let pdu = parsePdu(row);
      const redaction = row.redactedBy ? redactions.get(row.redactedBy) : undefined;
      if (row.redactedBy) {
        pdu = redactEvent(pdu, rv);
        if (redaction) unsigned.redacted_because = this.#plain(redaction, rv, opts.now);
      }
      const thread = threads.get(row.eventId);
      if (thread && !row.redactedBy) unsigned["m.relations"] = { "m.thread": thread };
      out.push(clientEventFromPdu(pdu, row.eventId, { roomVersion: rv, roomId: row.roomId, unsigned }));
    }
    return out;
  }

  /** A client event without lookups (for `redacted_because`). */
  #plain(row: EventRow, rv: RoomVersion, now: number): ClientEvent {
    const unsigned = { age: Math.max(0, now - row.originServerTs) };
    return clientEventFromPdu(parsePdu(row), row.eventId, { roomVersion: rv, roomId: row.roomId, unsigned });
  }

  async #threadSummaries(rows: EventRow[], opts: SerializeOptions): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    const byRoom = new Map<string, string[]>();
    for (const r of rows) {
      if (r.relType === "m.thread") continue;
      const list = byRoom.get(r.roomId) ?? [];
      list.push(r.eventId);
      byRoom.set(r.roomId, list);
    }
    for (const [roomId, ids] of byRoom) {
      const summaries = await this.events.threadSummaries(roomId, ids);
      if (summaries.size === 0) continue;
      const latest = await this.events.getMany([...summaries.values()].map((s) => s.latestEventId));
      const rootSenders = new Map(rows.map((r) => [r.eventId, r.sender]));
      for (const [rootId, s] of summaries) {
        const latestRow = latest.get(s.latestEventId);
        if (!latestRow) continue;
        const [latestEvent] = await this.serialize([latestRow], { now: opts.now, txnScope: opts.txnScope });
        out.set(rootId, {
          latest_event: latestEvent,
          count: s.count,
          current_user_participated:
            opts.userId !== undefined && (rootSenders.get(rootId) === opts.userId || latestRow.sender === opts.userId),
        });
      }
    }
    return out;
  }
}
