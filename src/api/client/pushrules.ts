import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";
import type { Ctx } from "../../http/context.ts";
import { readJsonObject } from "../../http/body.ts";
import { MatrixError, unrecognized } from "../../http/errors.ts";
import { parseRuleKind } from "../../push/ruleset.ts";

/** Push rules API (spec pushrules.yaml). Only the `global` scope exists. */
export function registerPushRulesRoutes(router: Router, services: Services): void {
  const rules = services.sync.pushRules;
  const checkScope = (scope: string) => {
    if (scope !== "global") throw unrecognized("Unknown push rule scope");
  };

  for (const path of ["/pushrules/", "/pushrules"]) {
    router.client("GET", path, { auth: "required", name: "push_rules" }, async (c) =>
      c.json(await rules.getRuleset(c.get("requester").userId)),
    );
  }
  for (const path of ["/pushrules/:scope/", "/pushrules/:scope"]) {
    router.client("GET", path, { auth: "required", name: "push_rules_scope" }, async (c) => {
      checkScope(param(c, "scope"));
      return c.json((await rules.getRuleset(c.get("requester").userId)).global);
    });
  }
  // Not in the spec but served by Synapse: the rules of one kind.
  for (const path of ["/pushrules/:scope/:kind/", "/pushrules/:scope/:kind"]) {
    router.client("GET", path, { auth: "required", name: "push_rules_kind" }, async (c) => {
      checkScope(param(c, "scope"));
      const kind = parseRuleKind(param(c, "kind"));
      return c.json((await rules.getRuleset(c.get("requester").userId)).global[kind]);
    });
  }

  const rulePath = "/pushrules/:scope/:kind/:ruleId";
  router.client("GET", rulePath, { auth: "required", name: "push_rule" }, async (c) => {
    checkScope(param(c, "scope"));
    return c.json(await rules.getRule(c.get("requester").userId, param(c, "kind"), param(c, "ruleId")));
  });

  router.client("PUT", rulePath, { auth: "required", name: "push_rule" }, async (c) => {
    checkScope(param(c, "scope"));
    const body = await readJsonObject(c);
    const before = c.req.query("before");
    const after = c.req.query("after");
    await rules.putRule(c.get("requester").userId, param(c, "kind"), param(c, "ruleId"), body, { before, after });
    return c.json({});
  });

  router.client("DELETE", rulePath, { auth: "required", name: "push_rule" }, async (c) => {
    checkScope(param(c, "scope"));
    await rules.deleteRule(c.get("requester").userId, param(c, "kind"), param(c, "ruleId"));
    return c.json({});
  });

  for (const attr of ["enabled", "actions"] as const) {
    const path = `${rulePath}/${attr}`;
    router.client("GET", path, { auth: "required", name: `push_rule_${attr}` }, async (c) => {
      checkScope(param(c, "scope"));
      const rule = await rules.getRule(c.get("requester").userId, param(c, "kind"), param(c, "ruleId"));
      return c.json(attr === "enabled" ? { enabled: rule.enabled } : { actions: rule.actions });
    });
    router.client("PUT", path, { auth: "required", name: `push_rule_${attr}` }, async (c) => {
      checkScope(param(c, "scope"));
      const body = await readJsonObject(c);
      if (!(attr in body)) throw new MatrixError(400, "M_MISSING_PARAM", `Missing parameter: ${attr}`);
      const { userId } = c.get("requester");
      const kind = param(c, "kind");
      const ruleId = param(c, "ruleId");
      // The rule must exist (user or default) before its attributes can change.
      await rules.getRule(userId, kind, ruleId);
      if (attr === "enabled") await rules.setEnabled(userId, kind, ruleId, body.enabled);
      else await rules.setActions(userId, kind, ruleId, body.actions);
      return c.json({});
    });
  }
}

const param = (c: Ctx, name: string): string => c.req.param(name) ?? "";
