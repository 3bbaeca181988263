import type { Database, Db } from "../database.ts";
import { SqlExec, type PreparedInsert, type StatementPipeline } from "./sql-exec.ts";
import {
  addStateRows,
  CURRENT_STATE_COLUMNS,
  CURRENT_STATE_UPSERT,
  EVENT_COLUMNS,
  eventRow,
  EXTREMITY_COLUMNS,
  MEMBERSHIP_COLUMNS,
  MEMBERSHIP_UPSERT,
  newStateRows,
  partition,
  ROOM_COLUMNS,
  type StateRows,
  type StateWrites,
} from "./event-persist-rows.ts";
import { StateGroupsStore, type StateChainRows, type StateGroupInfo } from "./state-groups.ts";
import { TxnLookups } from "./txn-lookups.ts";

export interface EventToPersist {
  eventId: string;
  roomId: string;
  depth: number;
  type: string;
  stateKey: string | null;
  sender: string;
  originServerTs: number;
  membership: string | null;
  /** JSON text of the PDU. */
  pduJson: string;
  unsigned: Record<string, unknown> | null;
  relType: string | null;
  relatesTo: string | null;
  containsUrl: boolean;
  /** For m.room.redaction: the event it redacts. */
  redacts: string | null;
  /** Member events: the profile in the content. */
  displayname: string | null;
  avatarUrl: string | null;
  /** Bans: the content as JSON text (room_memberships.ban_content). */
  banContent: string | null;
  txn?: { scope: string; txnId: string };
}

export interface RoomToCreate {
  roomId: string;
  roomVersion: string;
  creator: string;
  createdTs: number;
  isPublic: boolean;
  roomType: string | null;
}

/** The events of one room in one transaction, in order. */
export interface RoomEventBatch {
  roomId: string;
  create?: RoomToCreate;
  /** The state group after the room's last persisted event; null for a new room. */
  prevStateGroup: StateGroupInfo | null;
  events: EventToPersist[];
  /** The room's forward extremities after the last event. */
  extremities: string[];
}

/** A long chain of one existing room's events, written by `persistChain` as it is built. */
export interface ChainToPersist {
  roomId: string;
  /** The room's state group before the chain. */
  prevStateGroup: StateGroupInfo;
  /** How many events the slices hold, and how many of them are state events. */
  count: number;
  stateCount: number;
  /** The events in order, a slice at a time. */
  slices: AsyncIterable<ChainSlice>;
  /** The room's forward extremities after the chain (asked once every slice is in). */
  extremities(): string[];
}

export interface ChainSlice {
  events: EventToPersist[];
  /** Resolves once the rows are final (signed); a rejection fails the chain. */
  ready?: Promise<void>;
}

/** A chain's planned state: see #planChainState. */
interface ChainState {
  plan?: StateChainRows;
  writes: StateWrites;
  groups: PreparedInsert[];
}

export interface PersistResult {
  streamOrderings: Map<string, number>;
  /** Each room's state group after its last event. */
  stateGroups: Map<string, StateGroupInfo>;
}

/**
 * A batch held events whose transaction ids had sent events already (a client's retry):
 * nothing was written. `existing` maps each such new event's id to the earlier event's.
 */
export class RepeatedTransactionIds extends Error {
  constructor(readonly existing: ReadonlyMap<string, string>) {
    super(`${existing.size} transaction id(s) already sent`);
  }
}

/** Writes batches of new events: event rows, state groups, current state, memberships, extremities. */
export class EventPersistStore {
  private readonly stateGroups: StateGroupsStore;
  private readonly sql: SqlExec;
  readonly #txns: TxnLookups;
  /** SQLite: positions reserved in the stream's row and not handed out yet (see #allocate). */
  readonly #reserved = new Map<string, { next: number; last: number }>();

  constructor(private readonly database: Database) {
    this.stateGroups = new StateGroupsStore(database);
    this.sql = new SqlExec(database);
    this.#txns = new TxnLookups(database);
  }

  /**
   * One transaction for every batch; the caller merges a room's batches, keeping their
   * order. `alsoWrite` runs inside the transaction once the events are written, with
   * their stream orderings (e.g. push rule outcomes of the same events). Events whose
   * transaction id sent an event before fail the whole call with RepeatedTransactionIds:
   * the unique index events_txn refuses them in the event insert itself (which looks the
   * key up anyway), and only then, after the rollback, are the ids read.
   */
  async persist(
    batches: RoomEventBatch[],
    alsoWrite?: (streamOrderings: ReadonlyMap<string, number>) => Promise<void>,
  ): Promise<PersistResult> {
    try {
      return await this.database.transaction("persist_events", async (tx) => {
        try {
          const statements = this.sql.pipeline(tx);
          const result = await this.#persist(tx, batches, statements);
          if (alsoWrite) statements.wait(alsoWrite(result.streamOrderings));
          await statements.done();
          return result;
        } catch (err) {
          // A reservation made in this transaction rolls back with it: take none over.
          this.#reserved.clear();
          throw err;
        }
      });
    } catch (err) {
      const existing = isRepeatedTxnRefusal(err) ? await this.#repeatedTxns(batches) : undefined;
      throw existing ? new RepeatedTransactionIds(existing) : err;
    }
  }

  /** New event id -> earlier event id, for events whose transaction id was used already; undefined if none. */
  async #repeatedTxns(batches: RoomEventBatch[]): Promise<Map<string, string> | undefined> {
    const sent = batches.flatMap((b) => b.events.filter((e) => e.txn !== undefined));
    if (sent.length === 0) return undefined;
    const found = await this.#txns.eventsFor(sent.map((e) => ({ scope: e.txn!.scope, roomId: e.roomId, txnId: e.txn!.txnId })));
    let existing: Map<string, string> | undefined;
    found.forEach((earlier, i) => {
      if (earlier !== undefined) (existing ??= new Map()).set(sent[i]!.eventId, earlier);
    });
    return existing;
  }

  /**
   * Writes the events. The statements after the stream positions go through `statements`:
   * on PostgreSQL they are issued without waiting, so the event write is four round trips
   * (BEGIN, positions, everything else, COMMIT), not a dozen; on SQLite they run as they
   * are issued, and a lone message event's write has no await of its own.
   * Big batches (a room upgrade's bans) copy their new state rows, state groups and events
   * last: the statements before them run on the server while their rows are serialised here.
   */
  async #persist(tx: Db, batches: RoomEventBatch[], statements: StatementPipeline): Promise<PersistResult> {
    const all = batches.length === 1 ? batches[0]!.events : batches.flatMap((b) => b.events);
    let stateCount = 0;
    for (const e of all) if (e.stateKey !== null) stateCount++;
    const streams = this.#allocate(tx, "events", all.length);
    const groups = stateCount > 0 ? this.#allocate(tx, "state_groups", stateCount) : 0;
    const lastStream = typeof streams === "number" ? streams : await streams;
    const lastGroup = typeof groups === "number" ? groups : await groups;
    let nextStream = lastStream - all.length + 1;
    let nextGroup = lastGroup - stateCount + 1;

    const created = batches.flatMap((b) => (b.create ? [b.create] : []));
    // State groups are written in the loop below; they need the room row first (on
    // PostgreSQL, issued before them on the same connection).
    statements.insertMany(
      "rooms",
      ROOM_COLUMNS,
      created.map((r) => [r.roomId, r.roomVersion, r.creator, r.createdTs, r.isPublic, r.roomType]),
    );

    const streamOrderings = new Map<string, number>();
    const groupsAfter = new Map<string, StateGroupInfo>();
    const eventRows: unknown[][] = [];
    const state = newStateRows();
    const chains: StateChainRows[] = [];
    for (const batch of batches) {
      const changes = batch.events.filter((e) => e.stateKey !== null).map((e) => ({ type: e.type, stateKey: e.stateKey!, eventId: e.eventId }));
      const chain = changes.length > 0 ? await this.stateGroups.planChain(tx, batch.roomId, nextGroup, batch.prevStateGroup, changes) : undefined;
      if (chain) chains.push(chain);
      nextGroup += changes.length;
      let group = batch.prevStateGroup;
      let changed = 0;
      for (const e of batch.events) {
        const streamOrdering = nextStream++;
        streamOrderings.set(e.eventId, streamOrdering);
        if (e.stateKey !== null) {
          group = chain!.infos[changed++]!;
          addStateRows(state, e, streamOrdering);
        }
        if (!group) throw new Error(`room ${e.roomId} has no state before event ${e.eventId}`);
        eventRows.push(eventRow(e, streamOrdering, group.id));
      }
      if (group) groupsAfter.set(batch.roomId, group);
    }
    await this.#writeRest(statements, batches, all, this.#stateWrites(state, chains), this.sql.prepareInsert("events", EVENT_COLUMNS, eventRows));
    return { streamOrderings, stateGroups: groupsAfter };
  }

  /**
   * One room's long chain of events (a room upgrade's bans) in one transaction, written as
   * its slices are built: the event rows go to the database slice by slice (one COPY on
   * PostgreSQL, which inserts them on its own core while this thread builds the next
   * slice), then the state groups, current state, memberships and extremities of the whole
   * chain. Each slice's rows are final (signed) once its `ready` resolves; slices are
   * written in order; `count` and `stateCount` say how many positions to allocate first.
   * `alsoWrite` is as for `persist`. A failure of the slices or of a write rolls it all back.
   */
  async persistChain(
    chain: ChainToPersist,
    alsoWrite?: (streamOrderings: ReadonlyMap<string, number>) => Promise<void>,
  ): Promise<PersistResult> {
    try {
      return await this.database.transaction("persist_event_chain", async (tx) => {
        try {
          return await this.#persistChain(tx, chain, alsoWrite);
        } catch (err) {
          this.#reserved.clear();
          throw err;
        }
      });
    } finally {
      // Slices not taken (a failed write stops the loop): their builder is told to stop.
      await chain.slices[Symbol.asyncIterator]().return?.();
    }
  }

  async #persistChain(
    tx: Db,
    chain: ChainToPersist,
    alsoWrite?: (streamOrderings: ReadonlyMap<string, number>) => Promise<void>,
  ): Promise<PersistResult> {
    // PostgreSQL: the chain's state groups go to the database on another connection, in
    // a transaction of their own, while this one finishes the event rows and writes the
    // rest of the state (one connection does one COPY at a time); it commits before this
    // one. Their ids are allocated apart too: a chain that fails after them leaves groups
    // nothing refers to, and their ids are not handed out again. The pool always has a
    // connection for it: the writer commits one event transaction at a time, so no other
    // connection of this process waits on the locks this one holds.
    const apart = this.database.transactionApart;
    // The other connection allocates the groups while this one allocates the positions.
    const groupsApart = apart && chain.stateCount > 0 ? apart("allocate_state_groups", (t) => this.#bump(t, "state_groups", chain.stateCount)) : undefined;
    groupsApart?.catch(() => undefined);
    const lastStream = await this.#allocate(tx, "events", chain.count);
    const lastGroup = chain.stateCount === 0 ? 0 : await (groupsApart ?? this.#allocate(tx, "state_groups", chain.stateCount));
    let nextStream = lastStream - chain.count + 1;
    const firstGroup = lastGroup - chain.stateCount + 1;
    // planChain numbers the chain's groups firstGroup, firstGroup + 1, ... in order, so an
    // event's group is known before the chain is planned (which needs every event).
    let group = chain.prevStateGroup.id;
    const streamOrderings = new Map<string, number>();
    const all: EventToPersist[] = [];
    const rows = await this.sql.openRowStream(tx, "events", EVENT_COLUMNS);
    let states = 0;
    let planned!: Promise<ChainState>;
    let groupsWritten: Promise<void> | undefined;
    let written: Promise<void> = Promise.resolve();
    let failure: { err: unknown } | undefined;
    try {
      for await (const slice of chain.slices) {
        // Awaited in turn below; a rejection before then is not unhandled.
        slice.ready?.catch(() => undefined);
        const placed: Array<{ e: EventToPersist; streamOrdering: number; group: number }> = [];
        for (const e of slice.events) {
          const streamOrdering = nextStream++;
          streamOrderings.set(e.eventId, streamOrdering);
          if (e.stateKey !== null) group = firstGroup + states++;
          all.push(e);
          placed.push({ e, streamOrdering, group });
        }
        // In order, each once signed, while the loop goes on to build the next slice.
        written = written.then(async () => {
          await slice.ready;
          await rows.add(placed.map((p) => eventRow(p.e, p.streamOrdering, p.group)));
        });
        written.catch((err: unknown) => (failure ??= { err }));
        if (failure) throw failure.err;
      }
      if (all.length !== chain.count || states !== chain.stateCount) {
        throw new Error(`the chain has ${all.length} events (${states} state), not ${chain.count} (${chain.stateCount})`);
      }
      // The chain is built: its state is planned while the last slices go to the database.
      // The state before it is committed, so the snapshot's read goes through the pool (the
      // transaction's connection is busy with the COPY on PostgreSQL).
      planned = this.#planChainState(this.database.db, chain, all, streamOrderings, firstGroup, apart !== undefined);
      planned.catch(() => undefined);
      if (apart) {
        groupsWritten = planned.then(async ({ groups }) => {
          if (groups.length > 0) await apart("persist_state_groups", async (t) => {
            for (const insert of groups) await insert.run(t);
          });
        });
        groupsWritten.catch(() => undefined);
      }
      await written;
      await rows.close();
    } catch (err) {
      rows.abort(err);
      await written.catch(() => undefined);
      throw err;
    }

    const statements = this.sql.pipeline(tx);
    const { plan, writes } = await planned;
    const batch: RoomEventBatch = { roomId: chain.roomId, prevStateGroup: chain.prevStateGroup, events: all, extremities: chain.extremities() };
    await this.#writeRest(statements, [batch], all, writes);
    if (alsoWrite) statements.wait(alsoWrite(streamOrderings));
    await statements.done();
    await groupsWritten;
    const after = plan?.infos.at(-1) ?? chain.prevStateGroup;
    return { streamOrderings, stateGroups: new Map([[chain.roomId, after]]) };
  }

  /**
   * A chain's state groups and its current-state and membership rows, their COPY text
   * serialised now: this runs while the database catches up with the event rows. With
   * `groupsApart` the state groups' inserts are `groups`, not part of `writes`.
   */
  async #planChainState(
    db: Db,
    chain: ChainToPersist,
    all: readonly EventToPersist[],
    streamOrderings: ReadonlyMap<string, number>,
    firstGroup: number,
    groupsApart: boolean,
  ): Promise<ChainState> {
    const changes = all.filter((e) => e.stateKey !== null).map((e) => ({ type: e.type, stateKey: e.stateKey!, eventId: e.eventId }));
    const plan = changes.length > 0 ? await this.stateGroups.planChain(db, chain.roomId, firstGroup, chain.prevStateGroup, changes) : undefined;
    const state = newStateRows();
    for (const e of all) if (e.stateKey !== null) addStateRows(state, e, streamOrderings.get(e.eventId)!);
    const plans = plan ? [plan] : [];
    return {
      plan,
      writes: this.#stateWrites(state, groupsApart ? [] : plans, { serialiseNow: true }),
      groups: groupsApart && plan ? this.stateGroups.prepareWrite(plans, { serialiseNow: true }) : [],
    };
  }

  /** Rows of fresh keys are plain inserts (a COPY when there are many), the others upserts. */
  #stateWrites(state: StateRows, chains: StateChainRows[], opts: { serialiseNow?: boolean } = {}): StateWrites {
    const [newState, changedState] = partition(state.currentState, state.fresh);
    const [newMembers, changedMembers] = partition(state.memberships, state.fresh);
    return {
      changedState,
      changedMembers,
      inserts: [
        ...(newState.length > 0 ? [this.sql.prepareInsert("room_current_state", CURRENT_STATE_COLUMNS, newState, "", opts)] : []),
        ...(newMembers.length > 0 ? [this.sql.prepareInsert("room_memberships", MEMBERSHIP_COLUMNS, newMembers, "", opts)] : []),
        ...(chains.length > 0 ? this.stateGroups.prepareWrite(chains, opts) : []),
      ],
    };
  }

  /**
   * Everything after the event positions and state groups are planned: current state and
   * memberships (rows of fresh keys plain inserts, a COPY when there are many, the others
   * upserts), forward extremities, the state groups, then `events` (the event rows, when
   * not written already), and redactions.
   */
  async #writeRest(statements: StatementPipeline, batches: RoomEventBatch[], all: readonly EventToPersist[], writes: StateWrites, events?: PreparedInsert): Promise<void> {
    statements.insertMany("room_current_state", CURRENT_STATE_COLUMNS, writes.changedState, CURRENT_STATE_UPSERT);
    statements.insertMany("room_memberships", MEMBERSHIP_COLUMNS, writes.changedMembers, MEMBERSHIP_UPSERT);

    for (const b of batches) statements.run("DELETE FROM room_forward_extremities WHERE room_id = ?", [b.roomId]);
    if (batches.length === 1) {
      const b = batches[0]!;
      statements.insertMany("room_forward_extremities", EXTREMITY_COLUMNS, [...new Set(b.extremities)].map((id) => [b.roomId, id]));
    } else {
      const extremities = new Map<string, unknown[]>();
      for (const b of batches) for (const id of b.extremities) extremities.set(`${b.roomId}\u0000${id}`, [b.roomId, id]);
      statements.insertMany("room_forward_extremities", EXTREMITY_COLUMNS, [...extremities.values()]);
    }

    // The big inserts last (COPYs on PostgreSQL, awaited in turn): the statements above run on the server meanwhile.
    for (const insert of [...writes.inserts, ...(events ? [events] : [])]) await statements.insert(insert);

    for (const e of all) {
      if (e.redacts === null) continue;
      // Redacted content loses its relation too.
      statements.run(
        "UPDATE events SET redacted_by = ?, rel_type = NULL, relates_to = NULL WHERE event_id = ? AND room_id = ? AND redacted_by IS NULL",
        [e.eventId, e.redacts, e.roomId],
      );
    }
  }

  /**
   * Hands out `n` positions on `stream` (a stream_positions row); returns the last one.
   * PostgreSQL bumps the row every time: its row lock orders the commits. SQLite commits
   * one transaction at a time anyway, so there the row is bumped a block of positions
   * ahead and the block is handed out from memory: a send writes one statement and one
   * page less. The row never falls behind a stored event, so after a restart positions
   * go on above it (skipping what was left of the block), and it stays the right start
   * for sync tokens.
   */
  #allocate(tx: Db, stream: string, n: number): number | Promise<number> {
    if (this.database.dialect === "sqlite") {
      const block = this.#reserved.get(stream);
      if (block && block.next + n - 1 <= block.last) {
        // Handed out from memory without an await.
        block.next += n;
        return block.next - 1;
      }
      return this.#reserve(tx, stream, n);
    }
    return this.#bump(tx, stream, n);
  }

  /** SQLite: moves the stream's row a block ahead and hands out the first `n` of it. */
  async #reserve(tx: Db, stream: string, n: number): Promise<number> {
    const size = Math.max(n, SQLITE_POSITION_BLOCK);
    const last = await this.#bump(tx, stream, size);
    this.#reserved.set(stream, { next: last - size + 1 + n, last });
    return last - size + n;
  }

  /** Adds `n` to the stream's row; returns the new position. */
  async #bump(tx: Db, stream: string, n: number): Promise<number> {
    const rows = await this.sql.rows<{ position: number | string }>(
      tx,
      `INSERT INTO stream_positions (stream, position) VALUES (?, ?)
       ON CONFLICT (stream) DO UPDATE SET position = stream_positions.position + excluded.position RETURNING position`,
      [stream, n],
    );
    return Number(rows[0]!.position);
  }
}

/**
 * The database refused an event because its transaction id had sent one (index
 * events_txn): SQLite names the index's columns, PostgreSQL the index (drizzle may wrap
 * the driver's error as its cause).
 */
function isRepeatedTxnRefusal(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    const { code, constraint_name } = e as { code?: unknown; constraint_name?: unknown };
    if (code === "SQLITE_CONSTRAINT_UNIQUE" && e.message.includes("events.txn_scope")) return true;
    if (code === "23505" && constraint_name === "events_txn") return true;
  }
  return false;
}

/** Positions an SQLite stream row moves ahead at a time (see #allocate). */
const SQLITE_POSITION_BLOCK = 1000;
