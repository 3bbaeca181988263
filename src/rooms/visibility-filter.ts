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
    const facts = new Map<number, GroupFacts>();
    for (const group of new Set(rows.map((r) => r.stateGroup))) facts.set(group, await this.#facts(group, userId));
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

  async #facts(group: number, userId: string): Promise<GroupFacts> {
    const cacheKey = `${group}|${userId}`;
    const cached = this.#cache.get(cacheKey);
    if (cached) {
      this.#counts.hits++;
      return cached;
    }
    this.#counts.misses++;
    const ids = await this.stateGroups.stateAt(group, {
      keys: [
        { type: "m.room.history_visibility", stateKey: "" },
        { type: "m.room.member", stateKey: userId },
      ],
    });
    const hvId = ids.get("m.room.history_visibility\u0000");
    const memberId = ids.get(`m.room.member\u0000${userId}`);
    const rows = await this.events.getMany([hvId, memberId].filter((x): x is string => x !== undefined));
    const hv = hvId ? rows.get(hvId) : undefined;
    const member = memberId ? rows.get(memberId) : undefined;
    const membership = member ? parsePdu(member).content?.membership : undefined;
    const facts: GroupFacts = {
      visibility: hv ? parsePdu(hv).content?.history_visibility : undefined,
      membership: typeof membership === "string" ? membership : undefined,
    };
    if (this.#cache.size >= MAX_CACHED && this.#cache.delete(this.#cache.keys().next().value!)) this.#counts.evicted++;
    this.#cache.set(cacheKey, facts);
    return facts;
  }
}
