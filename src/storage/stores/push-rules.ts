import { and, eq, inArray } from "drizzle-orm";
import type { Database, Db } from "../database.ts";
import type { DefaultRuleOverride, StoredPushRule } from "../../push/ruleset.ts";
import type { PushRuleKind } from "../../push/types.ts";
import type { StreamPositionsStore } from "./stream-positions.ts";

export interface UserPushRules {
  stored: StoredPushRule[];
  overrides: DefaultRuleOverride[];
}

/** What a change to a user's rules writes: its rules of one kind, or one default-rule override. */
export type PushRulesWrite =
  | { kind: PushRuleKind; rules: StoredPushRule[] }
  | { override: DefaultRuleOverride };

/** Row of `stream_positions` used only as a lock that serialises changes to push rules. */
const PUSH_RULES_LOCK = "push_rules";

const CHUNK = 500;

export class PushRulesStore {
  constructor(
    private readonly database: Database,
    private readonly positions: StreamPositionsStore,
  ) {}

  async load(userId: string): Promise<UserPushRules> {
    return (await this.loadMany([userId])).get(userId)!;
  }

  /** Rules of many users at once (push evaluation for a whole room). */
  async loadMany(userIds: readonly string[], tx: Db = this.database.db): Promise<Map<string, UserPushRules>> {
    const { tables } = this.database;
    const out = new Map<string, UserPushRules>();
    for (const u of userIds) out.set(u, { stored: [], overrides: [] });
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const chunk = userIds.slice(i, i + CHUNK);
      const rules = await tx.select().from(tables.pushRules).where(inArray(tables.pushRules.userId, chunk));
      for (const r of rules) {
        out.get(r.userId)!.stored.push({
          kind: r.kind as PushRuleKind,
          ruleId: r.ruleId,
          priority: Number(r.priority),
          conditions: r.conditions ?? undefined,
          pattern: r.pattern ?? undefined,
          actions: r.actions,
          enabled: r.enabled,
        });
      }
      const t = tables.pushRuleDefaultOverrides;
      const overrides = await tx.select().from(t).where(inArray(t.userId, chunk));
      for (const o of overrides) {
        const override: DefaultRuleOverride = { kind: o.kind as PushRuleKind, ruleId: o.ruleId };
        if (o.enabled !== null) override.enabled = o.enabled;
        if (o.actions !== null) override.actions = o.actions;
        out.get(o.userId)!.overrides.push(override);
      }
    }
    return out;
  }

  /**
   * Reads the user's rules, lets `change` compute the write, and applies it in
   * one transaction. Taking the lock row first serialises concurrent changes,
   * so no read-modify-write is lost. `published` runs in the same transaction
   * with the rules after the change (to publish them as account data) and its
   * result is returned.
   */
  async modify<T>(
    userId: string,
    change: (current: UserPushRules) => PushRulesWrite,
    published: (after: UserPushRules) => Promise<T>,
  ): Promise<T> {
    const { tables } = this.database;
    return this.database.transaction("modify_push_rules", async (tx) => {
      await this.positions.next(tx, PUSH_RULES_LOCK);
      const current = (await this.loadMany([userId], tx)).get(userId)!;
      const write = change(current);
      if ("override" in write) {
        const o = write.override;
        const t = tables.pushRuleDefaultOverrides;
        const values = { enabled: o.enabled ?? null, actions: o.actions ?? null };
        await tx
          .insert(t)
          .values({ userId, kind: o.kind, ruleId: o.ruleId, ...values })
          .onConflictDoUpdate({ target: [t.userId, t.kind, t.ruleId], set: values });
      } else {
        const t = tables.pushRules;
        await tx.delete(t).where(and(eq(t.userId, userId), eq(t.kind, write.kind)));
        if (write.rules.length > 0) {
          await tx.insert(t).values(
            write.rules.map((r) => ({
              userId,
              kind: r.kind,
              ruleId: r.ruleId,
              priority: r.priority,
              conditions: r.conditions ?? null,
              pattern: r.pattern ?? null,
              actions: r.actions,
              enabled: r.enabled,
            })),
          );
        }
      }
      return published((await this.loadMany([userId], tx)).get(userId)!);
    });
  }
}
