// The event creation pipeline every local event goes through: load the head, build and
// authorise on it, queue for the writer, resolve once committed. Other concerns (room
// upgrade, profile changes, server notices) create events through `create`. A room can
// be held (`withRoomHeld`): its holder builds events whose ids it needs before it
// submits them, and every other `create` in that room waits until the hold ends.
import type { Clock } from "../observability/clock.ts";
import type { SigningKey } from "../matrix/signing.ts";
import { MatrixError, notFound } from "../http/errors.ts";
import type { PDU } from "../matrix/events.ts";
import {
  buildOnHead,
  type HeadSnapshot,
  duplicateOf,
  membersNeeded,
  restoreHead,
  snapshotHead,
  type BuiltEvent,
  type NewEvent,
} from "./event-builder.ts";
import { RebuildNeeded, yieldToPendingIo, type BuiltSlice, type EventWriter } from "./event-writer.ts";
import type { SigningPool } from "../matrix/signing-pool.ts";
import type { EventSigner } from "../matrix/events.ts";
import { BULK_SIGNING_MIN_EVENTS, ChainSignatures } from "./chain-signatures.ts";
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
  /** Signs long chains off the event loop; without it every event is signed as it is built. */
  signingPool?: SigningPool;
}

/** A room held by one caller (see `RoomEvents.withRoomHeld`). */
export interface HeldRoom {
  /**
   * Builds `events` on the room's head, so their ids are known, without persisting them.
   * Built events not submitted by the end of the hold are undone.
   */
  build(events: NewEvent[]): Promise<BuiltEvent[]>;
  /** Persists what `build` returned, in order, after everything built before the hold. */
  submit(built: BuiltEvent[]): Promise<CreatedEvent[]>;
}

/** Events per slice of a chain (see createChain): each is written while the next is built. */
const CHAIN_SLICE = 500;

/** Times `create` builds events again whose commit was refused with RebuildNeeded. */
const MAX_REBUILDS = 3;

export class RoomEvents {
  /** Rooms held by `withRoomHeld`: resolves when the hold ends. */
  readonly #holds = new Map<string, Promise<void>>();

  constructor(private readonly deps: RoomEventsDeps) {}

  /**
   * Gives `fn` the room to itself: other `create` calls for the room wait until `fn`
   * settles, so nothing is built on top of events `fn` has built but not yet submitted,
   * and nothing of the room is persisted between them and what was queued before.
   * `fn` must not call `create` for the same room (it would wait for itself).
   */
  async withRoomHeld<T>(roomId: string, fn: (room: HeldRoom) => Promise<T>): Promise<T> {
    const release = await this.#hold(roomId);
    // The chain built and not yet submitted (an object: closures set it).
    const unsent: { chain: { head: RoomHead; snapshot: HeadSnapshot } | null } = { chain: null };
    const room: HeldRoom = {
      build: async (events) => {
        if (unsent.chain) throw new Error("a held room builds one chain at a time");
        const head = await this.#currentHead(roomId, [...new Set(events.flatMap(membersNeeded))]);
        const snapshot = snapshotHead(head, events);
        const built = this.buildAll(head, events);
        unsent.chain = { head, snapshot };
        return built;
      },
      submit: async (built) => {
        const chain = unsent.chain;
        if (!chain || built.length === 0 || built[0]!.head !== chain.head) throw new Error("submit what build returned");
        const { head } = chain;
        unsent.chain = null;
        const persisted = await this.deps.writer.submit(head, built);
        return persisted.map((p) => ({ eventId: p.eventId, roomId, pdu: p.built.pdu, streamOrdering: p.streamOrdering }));
      },
    };
    try {
      return await fn(room);
    } finally {
      // Nothing else was built on the head meanwhile, so undoing the unsent chain is exact.
      if (unsent.chain) restoreHead(unsent.chain.head, unsent.chain.snapshot);
      release();
    }
  }

  /** Waits for the room's current hold to end, then holds it; returns the release. */
  async #hold(roomId: string): Promise<() => void> {
    for (let held = this.#holds.get(roomId); held; held = this.#holds.get(roomId)) await held;
    let resolve!: () => void;
    this.#holds.set(roomId, new Promise<void>((r) => (resolve = r)));
    return () => {
      this.#holds.delete(roomId);
      resolve();
    };
  }

  /**
   * Builds `events` in order on the room's head (each authorised against the state the
   * previous ones left) and persists them in one transaction. Nothing is sent if one is
   * refused. With `dedupe`, a single state event equal to the current one (same sender,
   * same content) is not sent again; the existing event is returned.
   */
  async create(roomId: string, events: NewEvent[], opts: { dedupe?: boolean } = {}): Promise<CreatedEvent[]> {
    if (events.length === 0) return [];
    const members = [...new Set(events.flatMap(membersNeeded))];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#createOnce(roomId, events, members, opts);
      } catch (err) {
        // An event under ours was not written (a client's retry of a sent transaction): ours is built again.
        if (!(err instanceof RebuildNeeded) || attempt >= MAX_REBUILDS) throw err;
      }
    }
  }

  async #createOnce(roomId: string, events: NewEvent[], members: string[], opts: { dedupe?: boolean }): Promise<CreatedEvent[]> {
    for (;;) {
      const head = this.deps.heads.cached(roomId, members) ?? (await this.#currentHead(roomId, members));
      // Checked after the last await: from here to the submission nothing else runs.
      const held = this.#holds.get(roomId);
      if (held) {
        await held;
        continue;
      }
      if (opts.dedupe && events.length === 1) {
        const duplicate = duplicateOf(head, events[0]!);
        if (duplicate) return [{ eventId: duplicate.eventId, roomId, pdu: duplicate.pdu }];
      }
      const { signingPool, serverName, signingKey } = this.deps;
      const signatures =
        signingPool && events.length >= BULK_SIGNING_MIN_EVENTS ? new ChainSignatures(signingPool, serverName, signingKey.keyId) : undefined;
      const built = this.buildAll(head, events, signatures?.signer);
      // Submitted at once, so the chain keeps its place in the queue; it commits once signed.
      const persisted = await this.deps.writer.submit(head, built, undefined, signatures?.complete(built));
      return persisted.map((p) => ({ eventId: p.eventId, roomId, pdu: p.built.pdu, streamOrdering: p.streamOrdering }));
    }
  }

  /**
   * Builds a long chain of events (a room upgrade's bans) on the room's head and persists
   * it in one transaction, a slice at a time: the writer sends each slice to the database
   * while the next is built, and the signing pool signs them meanwhile. The room is held
   * until the chain is committed. A refused event fails the whole chain; nothing is
   * written. The events' members must be loaded into the head already (or be loadable
   * in one go).
   */
  async createChain(roomId: string, events: NewEvent[]): Promise<CreatedEvent[]> {
    if (events.length === 0) return [];
    const release = await this.#hold(roomId);
    try {
      const head = await this.#currentHead(roomId, [...new Set(events.flatMap(membersNeeded))]);
      const { signingPool, serverName, signingKey, clock } = this.deps;
      const now = clock.now();
      // Built only as the writer asks for them, on the head as it is once the chain's turn comes.
      async function* slices(): AsyncGenerator<BuiltSlice> {
        const signers: ChainSignatures[] = [];
        for (let i = 0; i < events.length; i += CHAIN_SLICE) {
          // The slices before this one go to the database in between.
          await yieldToPendingIo();
          const part = events.slice(i, i + CHAIN_SLICE);
          const signatures = signingPool ? new ChainSignatures(signingPool, serverName, signingKey.keyId) : undefined;
          const ctx = { serverName, signingKey, now, signer: signatures?.signer };
          const built = part.map((e) => buildOnHead(head, e, ctx));
          if (signatures) signers.push(signatures);
          yield { events: built, ready: signatures?.complete(built, false) };
        }
        // Everything is built: this thread signs what the worker has not started, the last slices first.
        for (let k = signers.length - 1; k >= 0 && (await signers[k]!.takeBackUnstarted()); k--);
      }
      const stateCount = events.filter((e) => e.stateKey !== undefined).length;
      const persisted = await this.deps.writer.submitChain(head, { count: events.length, stateCount, slices: slices() });
      return persisted.map((p) => ({ eventId: p.eventId, roomId, pdu: p.built.pdu, streamOrdering: p.streamOrdering }));
    } finally {
      release();
    }
  }

  /** The room's head with `members` loaded, still in use once they are (503 after retries). */
  async #currentHead(roomId: string, members: string[]): Promise<RoomHead> {
    for (let attempt = 0; ; attempt++) {
      const head = await this.deps.heads.get(roomId);
      if (!head) throw notFound(`Unknown room ${roomId}`);
      await this.deps.heads.loadMembers(head, members);
      if (this.deps.heads.isCurrent(head)) return head;
      if (attempt >= 5) throw new MatrixError(503, "M_UNKNOWN", "The room is busy; try again");
    }
  }

  /** Builds a chain on `head`; on a refusal the head is left as it was. */
  buildAll(head: RoomHead, events: NewEvent[], signer?: EventSigner): BuiltEvent[] {
    const ctx = { serverName: this.deps.serverName, signingKey: this.deps.signingKey, now: this.deps.clock.now(), signer };
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
