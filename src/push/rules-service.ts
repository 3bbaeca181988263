import { buildRuleset, deleteRule, findRule, insertRule, parsePushRuleBody, parseRuleKind, setRuleActions, setRuleEnabled, type PushRuleChange } from "./ruleset.ts";
import { compileRuleset, type CompiledPushRules } from "./evaluator.ts";
import { RulesetTemplates } from "./ruleset-template.ts";
import type { PushRule, PushRuleKind, PushRuleset } from "./types.ts";
import type { PushRulesStore, PushRulesWrite, UserPushRules } from "../storage/stores/push-rules.ts";
import { GLOBAL_ROOM, type AccountDataStore } from "../storage/stores/account-data.ts";

/** Push rules reach clients through /sync as this global account data. */
export const PUSH_RULES_ACCOUNT_DATA = "m.push_rules";

/** Compiled rulesets kept at most; a busy server evaluates for many users per event. */
const CACHE_LIMIT = 20_000;

/** Called after a user's rules changed, with the new account_data stream position. */
export type PushRulesChanged = (userId: string, position: number) => void;

/**
 * A user's push rules: reading and editing them (push rules API) and the
 * compiled form the evaluator runs for every new event.
 */
export class PushRulesService {
  /** Insertion-ordered, so the oldest entry is dropped first when full. */
  readonly #compiled = new Map<string, CompiledPushRules>();
  #generation = 0;
  /** Users with the same rules (most have the defaults) share one compiled template. */
  readonly #templates = new RulesetTemplates();

  constructor(
    private readonly store: PushRulesStore,
    private readonly accountData: AccountDataStore,
    private readonly changed: PushRulesChanged = () => {},
  ) {}

  async getRuleset(userId: string): Promise<PushRuleset> {
    const { stored, overrides } = await this.store.load(userId);
    return buildRuleset(userId, stored, overrides);
  }

  async getRule(userId: string, kind: string, ruleId: string): Promise<PushRule> {
    return findRule(await this.getRuleset(userId), parseRuleKind(kind), ruleId);
  }

  /**
   * Changes whenever a user's rules change (invalidate): what was built from compiled rules
   * is stale then. Loading rules again after the cache dropped them gives the same rules.
   */
  get generation(): number {
    return this.#generation;
  }

  /**
   * When every one of `userIds` has compiled rules cached (almost always), the cache
   * itself, to be read at once (a later load may evict from it): no map of a room's
   * members per event. Otherwise undefined: use compiledFor.
   */
  cachedFor(userIds: readonly string[]): ReadonlyMap<string, CompiledPushRules> | undefined {
    for (const u of userIds) if (!this.#compiled.has(u)) return undefined;
    return this.#compiled;
  }

  /** The compiled rules of many users; loads those not cached in one query. */
  async compiledFor(userIds: readonly string[]): Promise<Map<string, CompiledPushRules>> {
    const out = new Map<string, CompiledPushRules>();
    const missing: string[] = [];
    for (const u of userIds) {
      const c = this.#compiled.get(u);
      if (c) out.set(u, c);
      else missing.push(u);
    }
    if (missing.length > 0) {
      const loaded = await this.store.loadMany(missing);
      for (const [u, rules] of loaded) {
        const c = compileRuleset(buildRuleset(u, rules.stored, rules.overrides), { owner: u, templates: this.#templates });
        out.set(u, c);
        this.#remember(u, c);
      }
    }
    return out;
  }

  /** PUT /pushrules/global/{kind}/{ruleId} with optional before/after. */
  putRule(userId: string, kind: string, ruleId: string, body: unknown, position: { before?: string; after?: string }): Promise<void> {
    const rule = parsePushRuleBody(kind, ruleId, body);
    return this.#modify(userId, (cur) => ({ kind: rule.kind, rules: ofKind(insertRule(cur.stored, rule, position), rule.kind) }));
  }

  deleteRule(userId: string, kind: string, ruleId: string): Promise<void> {
    const k = parseRuleKind(kind);
    return this.#modify(userId, (cur) => ({ kind: k, rules: ofKind(deleteRule(cur.stored, k, ruleId), k) }));
  }

  async setEnabled(userId: string, kind: string, ruleId: string, enabled: unknown): Promise<void> {
    const k = parseRuleKind(kind);
    await this.#modify(userId, (cur) => toWrite(cur, setRuleEnabled(cur.stored, cur.overrides, k, ruleId, enabled)));
  }

  async setActions(userId: string, kind: string, ruleId: string, actions: unknown): Promise<void> {
    const k = parseRuleKind(kind);
    await this.#modify(userId, (cur) => toWrite(cur, setRuleActions(cur.stored, cur.overrides, k, ruleId, actions)));
  }

  /** Drops a cached ruleset, e.g. when another process changed the user's rules. */
  invalidate(userId: string): void {
    this.#compiled.delete(userId);
    this.#generation++;
  }

  async #modify(userId: string, change: (cur: UserPushRules) => PushRulesWrite): Promise<void> {
    // The ruleset is also written as `m.push_rules` account data, in the same
    // transaction, so the change reaches every client on the account_data stream.
    const position = await this.store.modify(userId, change, (after) =>
      this.accountData.put(userId, GLOBAL_ROOM, PUSH_RULES_ACCOUNT_DATA, { ...buildRuleset(userId, after.stored, after.overrides) }),
    );
    this.invalidate(userId);
    this.changed(userId, position);
  }

  #remember(userId: string, compiled: CompiledPushRules): void {
    if (this.#compiled.size >= CACHE_LIMIT) {
      const oldest = this.#compiled.keys().next().value;
      if (oldest !== undefined) this.#compiled.delete(oldest);
    }
    this.#compiled.set(userId, compiled);
  }
}

function ofKind(rules: ReturnType<typeof insertRule>, kind: PushRuleKind) {
  return rules.filter((r) => r.kind === kind);
}

function toWrite(cur: UserPushRules, change: PushRuleChange): PushRulesWrite {
  if (change.target === "default") return { override: change.override };
  const { rule } = change;
  const rules = cur.stored.filter((r) => r.kind === rule.kind).map((r) => (r.ruleId === rule.ruleId ? rule : r));
  return { kind: rule.kind, rules };
}
