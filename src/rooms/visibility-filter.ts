// Applies history visibility to stored events for one user: looks up, per state group
// the events belong to, the history_visibility and the user's membership (state groups
// never change, so the answers are cached).
import type { EventRow, EventsStore } from "../storage/stores/events.ts";
import type { StateGroupsStore } from "../storage/stores/state-groups.ts";
import { parsePdu } from "./client-format.ts";
import { isVisibleTo } from "./visibility.ts";

interface GroupFacts {
  visibility: unknown;
  membership: string | undefined;
}

const MAX_CACHED = 20_000;

export class VisibilityFilter {
  readonly #cache = new Map<string, GroupFacts>();
  /** For the cache metrics. */
  readonly #counts = { hits: 0, misses: 0, evicted: 0 };

  constructor(
    private readonly stateGroups: StateGroupsStore,
    private readonly events: EventsStore,
  ) {}

  /** Size, lookups and evictions, in the shape the cache metrics read. */
  cacheStats() {
    const c = this.#counts;
    return { size: this.#cache.size, maxSize: MAX_CACHED, hits: c.hits, misses: c.misses, evicted: { size: c.evicted } };
  }

  /** The events `userId` may see, in the order given. */
  async filter(userId: string, rows: EventRow[], opts: { isPeeking: boolean }): Promise<EventRow[]> {
    const facts = await this.#factsAt(new Set(rows.map((r) => r.stateGroup)), userId);
    return rows.filter((row) => {
      const f = facts.get(row.stateGroup)!;
      const pdu = parsePdu(row);
      const prevContent = row.unsigned ? (JSON.parse(row.unsigned) as { prev_content?: Record<string, unknown> }).prev_content : undefined;
      return isVisibleTo({
        userId,
        event: { type: row.type, stateKey: row.stateKey, content: pdu.content ?? {} },
        prevContent,
        visibility: f.visibility,
        membership: f.membership,
        isPeeking: opts.isPeeking,
      });
    });
  }

  async isVisible(userId: string, row: EventRow, opts: { isPeeking: boolean }): Promise<boolean> {
    return (await this.filter(userId, [row], opts)).length === 1;
  }

  /** The facts at each group, from the cache or from one batched state lookup. */
  async #factsAt(groups: Set<number>, userId: string): Promise<Map<number, GroupFacts>> {
    const facts = new Map<number, GroupFacts>();
    const missing: number[] = [];
    for (const group of groups) {
      const cached = this.#cache.get(`${group}|${userId}`);
      if (cached) {
        this.#counts.hits++;
        facts.set(group, cached);
      } else {
        this.#counts.misses++;
        missing.push(group);
      }
    }
    if (missing.length === 0) return facts;
    const memberKey = `m.room.member\u0000${userId}`;
    const idsByGroup = await this.stateGroups.keysAtMany(missing, [
      { type: "m.room.history_visibility", stateKey: "" },
      { type: "m.room.member", stateKey: userId },
    ]);
    const eventIds = new Set<string>();
    for (const ids of idsByGroup.values()) for (const id of ids.values()) eventIds.add(id);
    const events = await this.events.getMany([...eventIds]);
    const contentOf = (id: string | undefined) => {
      const row = id === undefined ? undefined : events.get(id);
      return row ? parsePdu(row).content : undefined;
    };
    for (const group of missing) {
      const ids = idsByGroup.get(group);
      const membership = contentOf(ids?.get(memberKey))?.membership;
      const f: GroupFacts = {
        visibility: contentOf(ids?.get("m.room.history_visibility\u0000"))?.history_visibility,
        membership: typeof membership === "string" ? membership : undefined,
      };
      if (this.#cache.size >= MAX_CACHED && this.#cache.delete(this.#cache.keys().next().value!)) this.#counts.evicted++;
      this.#cache.set(`${group}|${userId}`, f);
      facts.set(group, f);
    }
    return facts;
  }
}
