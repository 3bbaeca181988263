// History visibility (client-server API "History visibility"), decided per event from
// the state after it, with Synapse's refinements at boundaries: a user always sees their
// own membership changes at the more permissive of the old and new membership, and an
// m.room.history_visibility event at the more permissive of the old and new setting.

const MEMBERSHIP_PRIORITY = ["join", "invite", "knock", "leave", "ban"];
const VISIBILITY_PRIORITY = ["world_readable", "shared", "invited", "joined"];

export interface VisibilityInput {
  userId: string;
  event: { type: string; stateKey?: string | null; content: Record<string, unknown> };
  /** `unsigned.prev_content` of the event, for boundary events. */
  prevContent?: Record<string, unknown>;
  /** history_visibility in the state after the event (undefined: no such event). */
  visibility: unknown;
  /** The user's membership in the state after the event. */
  membership: string | undefined;
  /** The user has never had a membership in the room and reads it as a preview. */
  isPeeking: boolean;
}

function normalisedVisibility(v: unknown): string {
  return typeof v === "string" && VISIBILITY_PRIORITY.includes(v) ? v : "shared";
}

function normalisedMembership(m: unknown): string {
  return typeof m === "string" && MEMBERSHIP_PRIORITY.includes(m) ? m : "leave";
}

export function isVisibleTo(input: VisibilityInput): boolean {
  const { event, userId } = input;
  let visibility = normalisedVisibility(input.visibility);
  if (event.type === "m.room.history_visibility") {
    const prev = normalisedVisibility(input.prevContent?.history_visibility);
    if (VISIBILITY_PRIORITY.indexOf(prev) < VISIBILITY_PRIORITY.indexOf(visibility)) visibility = prev;
  }
  if (input.isPeeking && visibility !== "world_readable") return false;

  let membership = input.membership;
  if (event.type === "m.room.member" && event.stateKey === userId) {
    const now = normalisedMembership(event.content?.membership);
    const before = normalisedMembership(input.prevContent?.membership);
    // Users see their own leave after a join or invite, or rejected invites would linger.
    if (now === "leave" && (before === "join" || before === "invite")) return true;
    membership = MEMBERSHIP_PRIORITY.indexOf(before) < MEMBERSHIP_PRIORITY.indexOf(now) ? before : now;
  }
  if (membership === "join") return true;
  switch (visibility) {
    case "joined":
      return false;
    case "invited":
      return membership === "invite";
    default:
      // shared (the user has a membership now, so joined at some point) or world_readable.
      return true;
  }
}
