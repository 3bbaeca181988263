// Push rules for every recipient of one event, without evaluating each of them when the
// event names none of them. In a room most members have the default rules (one shared
// template) and a message names few of them: those users' own conditions (mentions of
// their id, their localpart or display name in the body, an invite to them) all fail,
// so they share one outcome, evaluated once. Only users the event may name, and users
// whose ids are globs, are evaluated one by one.
import { evaluateUnnamed, PushEvaluationMemo, type CompiledPushRules, type PushContext, type PushEvaluation } from "./evaluator.ts";
import type { RulesetTemplate } from "./ruleset-template.ts";
import { valueAtPath } from "./property-path.ts";

export interface RecipientOutcomes {
  /** Users who share an outcome: the same template, and the event names none of them. */
  groups: Array<{ outcome: PushEvaluation; userIds: readonly string[] }>;
  /** Everyone else, each with their own evaluation. */
  individual: Array<[userId: string, outcome: PushEvaluation]>;
}

/** What a recipient's evaluation needs besides the event-wide context. */
export interface RecipientRules {
  rules: ReadonlyMap<string, CompiledPushRules>;
  displayNames: ReadonlyMap<string, string | undefined>;
}

/** One recipient as the index keeps it: what the per-event pass reads, in one object. */
interface IndexedRecipient {
  userId: string;
  compiled: CompiledPushRules;
  name: string | undefined;
  /** The owner's id and localpart are literal (no glob): the shared evaluation may stand for them. */
  shareable: boolean;
  /** Lower-cased id, localpart and display name: the event names them only if it holds one. */
  needles: string[];
  /** The last pass in which one of the needles' first three characters occurred in the haystack. */
  seen: number;
}

/**
 * A room's recipients prepared for many events (kept until members, names or rules
 * change). Checking every member's id, localpart and display name against each event
 * touched a dozen scattered objects per member; most events name nobody. Here each
 * needle is filed under its first three characters, and an event's text is walked once:
 * only members whose needle starts somewhere in it are checked as before. A needle
 * inside the text starts there, so nobody the old check would single out is missed.
 */
export class RecipientIndex {
  readonly #recipients: IndexedRecipient[] = [];
  /** Per template: shareable recipients by the first three characters of each needle. */
  readonly #byTrigram = new Map<RulesetTemplate, Map<number, IndexedRecipient[]>>();
  /** Per template: shareable recipients with a needle shorter than three characters. */
  readonly #short = new Map<RulesetTemplate, IndexedRecipient[]>();
  /** Per template: the shareable recipients' ids, and their places among all recipients. */
  readonly #shared = new Map<RulesetTemplate, { ids: string[]; places: number[] }>();
  /** Recipients whose rules never share an outcome (an owner glob). */
  readonly #alwaysAlone: IndexedRecipient[] = [];
  readonly #ids = new Set<string>();
  /** Recipients marked by this evaluation's walks. */
  readonly #seen: IndexedRecipient[] = [];
  #pass = 0;

  constructor(userIds: readonly string[], { rules, displayNames }: RecipientRules) {
    for (const userId of userIds) {
      const compiled = rules.get(userId);
      if (!compiled) continue;
      const { template, owner } = compiled;
      const name = displayNames.get(userId);
      const shareable = owner !== undefined && owner.userLiteral && owner.localpartLiteral;
      const needles = shareable ? [owner!.userLower, owner!.localpartLower] : [];
      if (shareable && name) needles.push(name.toLowerCase());
      const r: IndexedRecipient = { userId, compiled, name, shareable, needles, seen: 0 };
      this.#ids.add(userId);
      this.#recipients.push(r);
      if (!shareable) {
        this.#alwaysAlone.push(r);
        continue;
      }
      const shared = getOrAdd(this.#shared, template, () => ({ ids: [], places: [] }));
      shared.ids.push(userId);
      shared.places.push(this.#recipients.length - 1);
      let byTrigram = this.#byTrigram.get(template);
      if (!byTrigram) this.#byTrigram.set(template, (byTrigram = new Map()));
      for (const needle of needles) {
        if (needle.length < 3) {
          getOrAdd(this.#short, template, () => []).push(r);
          continue;
        }
        const list = byTrigram.get(trigramAt(needle, 0));
        if (!list) byTrigram.set(trigramAt(needle, 0), [r]);
        else if (list.at(-1) !== r) list.push(r);
      }
    }
  }

  /**
   * Evaluates the recipients (but `skip`) against the event in `base`. `alone` is
   * evaluated on its own whatever the event says (an invitee).
   */
  evaluate(base: Omit<PushContext, "userId" | "userDisplayName" | "memo">, alone?: string, skip?: string): RecipientOutcomes {
    const memo = new PushEvaluationMemo();
    const pass = ++this.#pass;
    this.#seen.length = 0;
    const haystacks = new Map<RulesetTemplate, string>();
    const sender = base.event.sender;
    // Most events name nobody: then every template's shareable recipients form its group
    // as they are, and no recipient needs looking at.
    if (alone === undefined && (sender === skip || typeof sender !== "string" || !this.#ids.has(sender))) {
      let named = false;
      for (const template of this.#shared.keys()) {
        const seen = this.#seen.length;
        haystacks.set(template, this.#walk(template, base.event, memo, pass));
        if (this.#seen.length > seen) named = true;
      }
      if (!named) return this.#unnamed(base, memo, skip);
    }
    const groups = new Map<RulesetTemplate, { outcome: PushEvaluation; userIds: string[] }>();
    const individual: Array<[string, PushEvaluation]> = [];
    for (const r of this.#recipients) {
      const userId = r.userId;
      if (userId === skip) continue;
      const template = r.compiled.template;
      let shared = r.shareable && userId !== alone && userId !== sender;
      if (shared) {
        let haystack = haystacks.get(template);
        if (haystack === undefined) haystacks.set(template, (haystack = this.#walk(template, base.event, memo, pass)));
        // Only a needle starting somewhere in the text can be in it (see conditions.ts for the checks).
        if (r.seen === pass) shared = !r.needles.some((needle) => haystack!.includes(needle));
      }
      if (!shared) {
        individual.push([userId, r.compiled.evaluate({ ...base, userId, userDisplayName: r.name, memo })]);
        continue;
      }
      let group = groups.get(template);
      if (!group) groups.set(template, (group = { outcome: evaluateUnnamed(template, base, memo), userIds: [] }));
      group.userIds.push(userId);
    }
    return { groups: [...groups.values()], individual };
  }

  /** The outcomes when the event names no recipient: one group per template, in the order the member-by-member path makes them. */
  #unnamed(base: Omit<PushContext, "userId" | "userDisplayName" | "memo">, memo: PushEvaluationMemo, skip: string | undefined): RecipientOutcomes {
    const found: Array<{ place: number; template: RulesetTemplate; userIds: readonly string[] }> = [];
    for (const [template, { ids, places }] of this.#shared) {
      const at = ids.indexOf(skip as string);
      const userIds = at < 0 ? ids : ids.filter((_, i) => i !== at);
      if (userIds.length > 0) found.push({ place: places[at === 0 ? 1 : 0]!, template, userIds });
    }
    if (found.length > 1) found.sort((a, b) => a.place - b.place);
    const groups = found.map(({ template, userIds }) => ({ outcome: evaluateUnnamed(template, base, memo), userIds }));
    const individual: Array<[string, PushEvaluation]> = [];
    for (const r of this.#alwaysAlone) {
      if (r.userId !== skip) individual.push([r.userId, r.compiled.evaluate({ ...base, userId: r.userId, userDisplayName: r.name, memo })]);
    }
    return { groups, individual };
  }

  /** The template's haystack for the event; marks the recipients whose needles may be in it. */
  #walk(template: RulesetTemplate, event: Record<string, unknown>, memo: PushEvaluationMemo, pass: number): string {
    const haystack = haystackOf(template, event, memo);
    for (const r of this.#short.get(template) ?? []) this.#mark(r, pass);
    const byTrigram = this.#byTrigram.get(template);
    if (byTrigram) {
      for (let i = 0; i + 3 <= haystack.length; i++) {
        const list = byTrigram.get(trigramAt(haystack, i));
        if (list) for (const r of list) this.#mark(r, pass);
      }
    }
    return haystack;
  }

  #mark(r: IndexedRecipient, pass: number): void {
    if (r.seen === pass) return;
    r.seen = pass;
    this.#seen.push(r);
  }
}

/**
 * Evaluates `userIds` (those without compiled rules, and `skip`, are skipped) against
 * the event in `base`. `alone` is evaluated on its own whatever the event says (an invitee).
 */
export function evaluateRecipients(
  userIds: readonly string[],
  rules: RecipientRules,
  base: Omit<PushContext, "userId" | "userDisplayName" | "memo">,
  alone?: string,
  skip?: string,
): RecipientOutcomes {
  return new RecipientIndex(userIds, rules).evaluate(base, alone, skip);
}

/** Three UTF-16 code units as one number (a Map key that needs no substring). */
function trigramAt(s: string, i: number): number {
  return (s.charCodeAt(i) * 65536 + s.charCodeAt(i + 1)) * 65536 + s.charCodeAt(i + 2);
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

/**
 * The lower-cased strings (and strings in arrays) at the template's own paths, joined:
 * an own condition can only hold for a user whose id, localpart or display name it holds.
 */
function haystackOf(template: RulesetTemplate, event: Record<string, unknown>, memo: PushEvaluationMemo): string {
  const parts: string[] = [];
  for (const path of template.ownPaths) {
    const value = valueAtPath(event, path);
    if (typeof value === "string") parts.push(memo.lowercase(value));
    // Not through the memo's one-entry cache: that keeps the body for the evaluations after.
    else if (Array.isArray(value)) for (const v of value) if (typeof v === "string") parts.push(v.toLowerCase());
  }
  return parts.join("\u0000");
}
