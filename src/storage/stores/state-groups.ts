import type { Database, Db } from "../database.ts";
import { SqlExec, type PreparedInsert } from "./sql-exec.ts";

/** A state group's contents: "type\0state_key" → event id (see schema/rooms.ts). */
export type StateIds = Map<string, string>;

export interface StateKeyRef {
  type: string;
  stateKey: string;
}

export interface StateGroupInfo {
  id: number;
  hops: number;
  baseSize: number;
}

/** A chain may grow this long before a new snapshot; see schema/rooms.ts. */
export function maxHops(baseSize: number): number {
  return Math.max(100, Math.floor(baseSize / 8));
}

function key(type: string, stateKey: string): string {
  return `${type}\u0000${stateKey}`;
}

/** The delta chain from group `?` back to its snapshot: (id, prev, n hops from the start). */
const CHAIN_CTE = `WITH RECURSIVE chain(id, prev, n) AS (
    SELECT id, prev_group, 0 FROM state_groups WHERE id = ?
    UNION ALL
    SELECT g.id, g.prev_group, c.n + 1 FROM state_groups g JOIN chain c ON g.id = c.prev
  )`;
const CHAIN = `${CHAIN_CTE}
  SELECT e.type, e.state_key, e.event_id, c.n FROM chain c CROSS JOIN state_group_entries e WHERE e.group_id = c.id`;
// CROSS JOIN keeps SQLite's planner from scanning all of state_group_entries: the short
// chain must drive index lookups into the entries, not the other way round.

/** A chain of state groups planned by `planChain`, not yet written. */
export interface StateChainRows {
  /** The group after each change. */
  infos: StateGroupInfo[];
  groups: unknown[][];
  entries: unknown[][];
}

export class StateGroupsStore {
  private readonly sql: SqlExec;

  constructor(private readonly database: Database) {
    this.sql = new SqlExec(database);
  }

  /**
   * The state of group `groupId`, optionally only the given keys or types. Walks the
   * delta chain back to its snapshot; the nearest entry for a key wins.
   */
  async stateAt(
    groupId: number,
    filter: { keys?: StateKeyRef[]; types?: string[] } = {},
    tx: Db = this.database.db,
  ): Promise<StateIds> {
    const conditions: string[] = [];
    const params: unknown[] = [groupId];
    for (const k of filter.keys ?? []) {
      conditions.push("(e.type = ? AND e.state_key = ?)");
      params.push(k.type, k.stateKey);
    }
    for (const t of filter.types ?? []) {
      conditions.push("e.type = ?");
      params.push(t);
    }
    if ((filter.keys || filter.types) && conditions.length === 0) return new Map();
    const where = conditions.length > 0 ? ` AND (${conditions.join(" OR ")})` : "";
    const rows = await this.sql.rows<{ type: string; state_key: string; event_id: string; n: number | string }>(tx, CHAIN + where, params);
    const best = new Map<string, { eventId: string; n: number }>();
    for (const r of rows) {
      const k = key(r.type, r.state_key);
      const n = Number(r.n);
      const seen = best.get(k);
      if (!seen || n < seen.n) best.set(k, { eventId: r.event_id, n });
    }
    return new Map([...best].map(([k, v]) => [k, v.eventId]));
  }

  /**
   * The given keys' entries at each of `groupIds` (a page of events' groups). Groups of
   * one room lie mostly on one delta chain, so one walk from the newest group answers
   * every group on its chain (and is repeated from the newest group it did not reach):
   * a page costs a query per chain segment, not one walk per group, which matters for
   * chains written in bulk (a 10,000-ban upgrade is one chain of 10,000 deltas).
   */
  async keysAtMany(groupIds: readonly number[], keys: readonly StateKeyRef[], tx: Db = this.database.db): Promise<Map<number, StateIds>> {
    const out = new Map<number, StateIds>();
    const wanted = new Set(groupIds);
    if (keys.length === 0) {
      for (const g of wanted) out.set(g, new Map());
      return out;
    }
    const keyCondition = keys.map(() => "(e.type = ? AND e.state_key = ?)").join(" OR ");
    const keyParams = keys.flatMap((k) => [k.type, k.stateKey]);
    while (wanted.size > 0) {
      const start = Math.max(...wanted);
      const requested = [...wanted];
      const rows = await this.sql.rows<{ id: number | string; n: number | string; type: string | null; state_key: string | null; event_id: string | null }>(
        tx,
        `${CHAIN_CTE}
         SELECT c.id, c.n, e.type, e.state_key, e.event_id
         FROM chain c LEFT JOIN state_group_entries e ON e.group_id = c.id AND (${keyCondition})
         WHERE e.event_id IS NOT NULL OR c.id IN (${requested.map(() => "?").join(", ")})`,
        [start, ...keyParams, ...requested],
      );
      // From the chain's base up: an entry holds for its group and every group above it
      // until a nearer one replaces it. A group's rows (its entries, or one empty row) are
      // applied before the group is answered.
      const ordered = rows
        .map((r) => ({ id: Number(r.id), n: Number(r.n), type: r.type, stateKey: r.state_key, eventId: r.event_id }))
        .sort((a, b) => b.n - a.n);
      const current: StateIds = new Map();
      for (let i = 0; i < ordered.length; i++) {
        const r = ordered[i]!;
        if (r.eventId !== null) current.set(key(r.type!, r.stateKey!), r.eventId);
        const lastOfGroup = i + 1 === ordered.length || ordered[i + 1]!.n !== r.n;
        if (lastOfGroup && wanted.delete(r.id)) out.set(r.id, new Map(current));
      }
      // The start group is always on its own chain; a missing one does not exist.
      if (wanted.delete(start)) out.set(start, new Map());
    }
    return out;
  }

  async info(groupId: number, tx: Db = this.database.db): Promise<StateGroupInfo | undefined> {
    const rows = await this.sql.rows<{ id: number; hops: number; base_size: number }>(
      tx,
      "SELECT id, hops, base_size FROM state_groups WHERE id = ?",
      [groupId],
    );
    const r = rows[0];
    return r ? { id: Number(r.id), hops: Number(r.hops), baseSize: Number(r.base_size) } : undefined;
  }

  /**
   * Plans one group per change, ids from `firstId` on, each the state after its change
   * (read inside the caller's transaction); `infos` are the groups after each change, the
   * rows are for `prepareWrite`. Groups inside a batch are deltas whatever their chain's
   * length: only the last is held to the chain limit (a snapshot when the chain would grow
   * past it), because later events chain from it. A batch of 10,000 bans is then two
   * multi-row inserts and at most one state read, not a snapshot every few hundred events.
   */
  async planChain(
    tx: Db,
    roomId: string,
    firstId: number,
    prev: StateGroupInfo | null,
    changes: ReadonlyArray<StateKeyRef & { eventId: string }>,
  ): Promise<StateChainRows> {
    const groups: unknown[][] = [];
    const entries: unknown[][] = [];
    const infos: StateGroupInfo[] = [];
    let before = prev;
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!;
      const id = firstId + i;
      const last = i === changes.length - 1;
      let info: StateGroupInfo;
      if (before && (!last || before.hops + 1 <= maxHops(before.baseSize))) {
        info = { id, hops: before.hops + 1, baseSize: before.baseSize };
        entries.push([id, c.type, c.stateKey, c.eventId]);
      } else {
        // A snapshot: the state at `prev` with every change of the batch up to this one.
        const full = prev ? await this.stateAt(prev.id, {}, tx) : new Map<string, string>();
        for (let j = 0; j <= i; j++) full.set(key(changes[j]!.type, changes[j]!.stateKey), changes[j]!.eventId);
        for (const [k, eventId] of full) {
          const sep = k.indexOf("\u0000");
          entries.push([id, k.slice(0, sep), k.slice(sep + 1), eventId]);
        }
        info = { id, hops: 0, baseSize: full.size };
      }
      groups.push([id, roomId, info.hops === 0 ? null : before!.id, info.hops, info.baseSize]);
      infos.push(info);
      before = info;
    }
    return { infos, groups, entries };
  }

  /** The inserts that write planned chains, groups first (see SqlExec.prepareInsert). */
  prepareWrite(plans: readonly StateChainRows[], opts: { serialiseNow?: boolean } = {}): PreparedInsert[] {
    return [
      this.sql.prepareInsert("state_groups", ["id", "room_id", "prev_group", "hops", "base_size"], plans.flatMap((p) => p.groups), "", opts),
      this.sql.prepareInsert("state_group_entries", ["group_id", "type", "state_key", "event_id"], plans.flatMap((p) => p.entries), "", opts),
    ];
  }
}
