// The event creation pipeline every local event goes through: load the head, build and
// authorise on it, queue for the writer, resolve once committed. Other concerns (room
// upgrade, profile changes, server notices) create events through `create`.
import type { Clock } from "../observability/clock.ts";
import type { SigningKey } from "../matrix/signing.ts";
import { MatrixError, notFound } from "../http/errors.ts";
import type { PDU } from "../matrix/events.ts";
import {
  buildOnHead,
  duplicateOf,
  membersNeeded,
  restoreHead,
  snapshotHead,
  type BuiltEvent,
  type NewEvent,
} from "./event-builder.ts";
import type { EventWriter } from "./event-writer.ts";
import type { RoomHead, RoomHeadCache } from "./room-head.ts";

export interface CreatedEvent {
  eventId: string;
  roomId: string;
  pdu: PDU;
  /** Undefined when an identical state event already existed and nothing was sent. */
  streamOrdering?: number;
}

export interface RoomEventsDeps {
  serverName: string;
  signingKey: SigningKey;
  clock: Clock;
  heads: RoomHeadCache;
  writer: EventWriter;
}

export class RoomEvents {
  constructor(private readonly deps: RoomEventsDeps) {}

  /**
   * Builds `events` in order on the room's head (each authorised against the state the
   * previous ones left) and persists them in one transaction. Nothing is sent if one is
   * refused. With `dedupe`, a single state event equal to the current one (same sender,
   * same content) is not sent again; the existing event is returned.
   */
  async create(roomId: string, events: NewEvent[], opts: { dedupe?: boolean } = {}): Promise<CreatedEvent[]> {
    if (events.length === 0) return [];
    const members = [...new Set(events.flatMap(membersNeeded))];
    for (let attempt = 0; ; attempt++) {
      const head = await this.deps.heads.get(roomId);
      if (!head) throw notFound(`Unknown room ${roomId}`);
      await this.deps.heads.loadMembers(head, members);
      if (!this.deps.heads.isCurrent(head)) {
        if (attempt >= 5) throw new MatrixError(503, "M_UNKNOWN", "The room is busy; try again");
        continue;
      }
      if (opts.dedupe && events.length === 1) {
        const duplicate = duplicateOf(head, events[0]!);
        if (duplicate) return [{ eventId: duplicate.eventId, roomId, pdu: duplicate.pdu }];
      }
      const built = this.buildAll(head, events);
      const persisted = await this.deps.writer.submit(head, built);
      return persisted.map((p) => ({ eventId: p.eventId, roomId, pdu: p.built.pdu, streamOrdering: p.streamOrdering }));
    }
  }

  /** Builds a chain on `head`; on a refusal the head is left as it was. */
  buildAll(head: RoomHead, events: NewEvent[]): BuiltEvent[] {
    const ctx = { serverName: this.deps.serverName, signingKey: this.deps.signingKey, now: this.deps.clock.now() };
    if (events.length === 1) return [buildOnHead(head, events[0]!, ctx)];
    const snapshot = snapshotHead(head, events);
    const built: BuiltEvent[] = [];
    try {
      for (const e of events) built.push(buildOnHead(head, e, ctx));
    } catch (err) {
      restoreHead(head, snapshot);
      throw err;
    }
    return built;
  }
}
