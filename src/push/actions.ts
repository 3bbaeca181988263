import { MatrixError } from "../http/errors.ts";
import type { PushAction, SetTweakAction } from "./types.ts";

/** What a matching rule asks for, with legacy actions already stripped. */
export interface PushOutcome {
  notify: boolean;
  highlight: boolean;
  /** The `sound` tweak, when the rule sets one. */
  sound?: string;
  /** The rule's actions without `dont_notify` and `coalesce`. */
  actions: PushAction[];
}

const LEGACY_ACTIONS = new Set(["dont_notify", "coalesce"]);

function isTweak(action: PushAction): action is SetTweakAction {
  return typeof action === "object" && action !== null && typeof action.set_tweak === "string";
}

/**
 * Checks a client-supplied actions list, as PUT /pushrules and PUT .../actions
 * take it. Legacy actions are accepted (and ignored when evaluating), like Synapse.
 */
export function parseActions(raw: unknown, field = "actions"): PushAction[] {
  if (!Array.isArray(raw)) throw new MatrixError(400, "M_INVALID_PARAM", `'${field}' must be an array`);
  for (const action of raw) {
    if (action === "notify" || (typeof action === "string" && LEGACY_ACTIONS.has(action))) continue;
    if (typeof action === "object" && action !== null && !Array.isArray(action) && isTweak(action)) continue;
    throw new MatrixError(400, "M_INVALID_PARAM", `Unrecognised action in '${field}': ${JSON.stringify(action)}`);
  }
  return raw as PushAction[];
}

/** Reduces a rule's actions to what a pusher and the unread counters need. */
export function summariseActions(actions: readonly PushAction[]): PushOutcome {
  const kept = actions.filter((a) => !(typeof a === "string" && LEGACY_ACTIONS.has(a)));
  const outcome: PushOutcome = { notify: false, highlight: false, actions: kept };
  for (const action of kept) {
    if (action === "notify") outcome.notify = true;
    else if (isTweak(action)) {
      // A highlight tweak without a value means true; an explicit value must be `true`.
      if (action.set_tweak === "highlight") outcome.highlight = action.value === undefined || action.value === true;
      else if (action.set_tweak === "sound" && typeof action.value === "string") outcome.sound = action.value;
    }
  }
  return outcome;
}
