// Stored events as clients see them: redactions applied per room version (with
// `redacted_because`), `unsigned` with age, prev_content and the sender's own
// transaction id, and bundled aggregations (`m.relations`) where asked for.
import { clientEventFromPdu, type ClientEvent, type PDU } from "../matrix/events.ts";
import { redactEvent } from "../matrix/redaction.ts";
import type { RoomVersion } from "../matrix/room-versions.ts";
import type { EventRow, EventsStore } from "../storage/stores/events.ts";
import type { RelationAggregatesStore } from "../storage/stores/relation-aggregates.ts";
import { loadBundles, type Bundle } from "./bundled-aggregations.ts";

export interface SerializeOptions {
  now: number;
  /** The requester's transaction scope, to echo `transaction_id` on their own events. */
  txnScope?: string;
  /** The requester, for `current_user_participated` in thread summaries. */
  userId?: string;
  /** Add bundled aggregations (edits, thread summaries, references): timelines, single events, relations. */
  bundleAggregations?: boolean;
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
    private readonly aggregates: RelationAggregatesStore,
    private readonly roomVersionOf: (roomId: string) => Promise<RoomVersion>,
  ) {}

  async serialize(rows: EventRow[], opts: SerializeOptions): Promise<ClientEvent[]> {
    if (rows.length === 0) return [];
    const redactionIds = rows.flatMap((r) => (r.redactedBy ? [r.redactedBy] : []));
    const redactions = redactionIds.length > 0 ? await this.events.getMany(redactionIds) : new Map<string, EventRow>();
    const bundles = opts.bundleAggregations ? await loadBundles(this.aggregates, rows, opts.userId) : new Map<string, Bundle>();
    const out: ClientEvent[] = [];
    for (const row of rows) {
      const rv = await this.roomVersionOf(row.roomId);
      if (!row.redactedBy) {
        out.push(this.#plain(row, rv, opts, bundles));
        continue;
      }
      const unsigned = this.#unsigned(row, opts);
      const redaction = redactions.get(row.redactedBy);
      if (redaction) unsigned.redacted_because = this.#plain(redaction, rv, opts, bundles);
      out.push(clientEventFromPdu(redactEvent(parsePdu(row), rv), row.eventId, { roomVersion: rv, roomId: row.roomId, unsigned }));
    }
    return out;
  }

  /** An unredacted event, with its bundle (and the bundles of the events inside it). */
  #plain(row: EventRow, rv: RoomVersion, opts: SerializeOptions, bundles: Map<string, Bundle>): ClientEvent {
    const unsigned = this.#unsigned(row, opts);
    const bundle = bundles.get(row.eventId);
    if (bundle) {
      const relations: Record<string, unknown> = {};
      if (bundle.replace) relations["m.replace"] = this.#plain(bundle.replace, rv, opts, bundles);
      if (bundle.thread) {
        relations["m.thread"] = {
          latest_event: this.#plain(bundle.thread.latest, rv, opts, bundles),
          count: bundle.thread.count,
          current_user_participated: bundle.thread.participated,
        };
      }
      if (bundle.references) relations["m.reference"] = { chunk: bundle.references.map((id) => ({ event_id: id })) };
      unsigned["m.relations"] = relations;
    }
    return clientEventFromPdu(parsePdu(row), row.eventId, { roomVersion: rv, roomId: row.roomId, unsigned });
  }

  #unsigned(row: EventRow, opts: SerializeOptions): Record<string, unknown> {
    const unsigned: Record<string, unknown> = row.unsigned ? (JSON.parse(row.unsigned) as Record<string, unknown>) : {};
    unsigned.age = Math.max(0, opts.now - row.originServerTs);
    if (opts.txnScope !== undefined && row.txnId !== null && row.txnScope === opts.txnScope) unsigned.transaction_id = row.txnId;
    return unsigned;
  }
}
