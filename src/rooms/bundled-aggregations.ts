// Bundled aggregations (client-server API "Aggregations of child events"): what
// `unsigned.m.relations` carries for a page of events, loaded for the whole page with a
// few queries. m.replace: the most recent valid edit, whole; m.thread: the latest event,
// the count and whether the user took part; m.reference: the referencing event ids.
// Annotations are not bundled (removed in v1.7). As Synapse, state events, redacted
// events, edits and annotations carry no aggregations.
import type { EventRow } from "../storage/stores/events.ts";
import type { RelationAggregatesStore } from "../storage/stores/relation-aggregates.ts";

export interface Bundle {
  replace?: EventRow;
  thread?: { latest: EventRow; count: number; participated: boolean };
  references?: string[];
}

const BUNDLED = ["m.replace", "m.thread", "m.reference"];

function canCarry(row: EventRow): boolean {
  return row.stateKey === null && row.redactedBy === null && row.relType !== "m.replace" && row.relType !== "m.annotation";
}

/**
 * Whether `edit` may replace `original` (spec "Validity of replacement events"): same
 * sender and type, neither a state event, the original not an edit itself, and new
 * content (unreadable, so trusted, in an encrypted edit).
 */
export function isValidEdit(original: EventRow, edit: EventRow): boolean {
  if (edit.sender !== original.sender || edit.type !== original.type) return false;
  if (edit.stateKey !== null || original.stateKey !== null || original.relType === "m.replace") return false;
  if (edit.roomId !== original.roomId || edit.redactedBy !== null) return false;
  if (edit.type === "m.room.encrypted") return true;
  const content = (JSON.parse(edit.pdu) as { content?: Record<string, unknown> }).content;
  const newContent = content?.["m.new_content"];
  return typeof newContent === "object" && newContent !== null && !Array.isArray(newContent);
}

/** The most recent of `edits`: by origin_server_ts, then the greater event id. */
export function mostRecentEdit(edits: readonly EventRow[]): EventRow | undefined {
  let best: EventRow | undefined;
  for (const e of edits) {
    if (!best || e.originServerTs > best.originServerTs || (e.originServerTs === best.originServerTs && e.eventId > best.eventId)) best = e;
  }
  return best;
}

/**
 * Bundles for the events of `rows` that have any, keyed by event id; a thread's latest
 * event gets its own bundle (its edit) too. `userId` decides current_user_participated.
 */
export async function loadBundles(store: RelationAggregatesStore, rows: readonly EventRow[], userId: string | undefined): Promise<Map<string, Bundle>> {
  const out = new Map<string, Bundle>();
  const byRoom = new Map<string, EventRow[]>();
  for (const r of rows) {
    if (!canCarry(r)) continue;
    const list = byRoom.get(r.roomId);
    if (list) list.push(r);
    else byRoom.set(r.roomId, [r]);
  }
  if (byRoom.size === 0) return out;
  // One query for every room's parents; follow-ups only in rooms with relations.
  const groupsByRoom = await store.groups(new Map([...byRoom].map(([roomId, parents]) => [roomId, parents.map((p) => p.eventId)])), BUNDLED, userId);
  for (const [roomId, parents] of byRoom) {
    const groups = groupsByRoom.get(roomId) ?? [];
    if (groups.length === 0) continue;
    const byId = new Map(parents.map((p) => [p.eventId, p]));
    const bundle = (id: string): Bundle => {
      let b = out.get(id);
      if (!b) out.set(id, (b = {}));
      return b;
    };
    const withType = (relType: string) => groups.filter((g) => g.relType === relType && byId.has(g.relatesTo));

    // Threads: a thread event cannot root another thread.
    const threads = withType("m.thread").filter((g) => byId.get(g.relatesTo)!.relType !== "m.thread");
    const latest = new Map((await store.byStream(threads.map((g) => g.latestStream))).map((r) => [r.streamOrdering, r]));
    const edited = new Map<string, EventRow>(withType("m.replace").map((g) => [g.relatesTo, byId.get(g.relatesTo)!]));
    for (const g of threads) {
      const row = latest.get(g.latestStream);
      if (!row) continue;
      const root = byId.get(g.relatesTo)!;
      bundle(root.eventId).thread = { latest: row, count: g.count, participated: g.userSent || (userId !== undefined && root.sender === userId) };
      // The latest event is served with its own edit, as Synapse does.
      if (canCarry(row)) edited.set(row.eventId, row);
    }

    if (edited.size > 0) {
      const edits = new Map<string, EventRow[]>();
      for (const e of await store.children(roomId, [...edited.keys()], "m.replace")) {
        const original = edited.get(e.relatesTo!);
        if (!original || !isValidEdit(original, e)) continue;
        const list = edits.get(original.eventId);
        if (list) list.push(e);
        else edits.set(original.eventId, [e]);
      }
      for (const [id, list] of edits) bundle(id).replace = mostRecentEdit(list);
    }

    const referenced = withType("m.reference").map((g) => g.relatesTo);
    if (referenced.length > 0) {
      for (const ref of await store.childIds(roomId, referenced, "m.reference")) {
        (bundle(ref.relatesTo).references ??= []).push(ref.eventId);
      }
    }
  }
  return out;
}
