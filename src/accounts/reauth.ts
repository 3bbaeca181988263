import type { Requester } from "../http/context.ts";
import { forbidden } from "../http/errors.ts";
import type { Ratelimiter } from "../ratelimit/limiter.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import { LOGIN_PASSWORD } from "./uia-stages.ts";
import type { UserInteractiveAuth } from "./uia.ts";

export interface RequestInfo {
  uri: string;
  method: string;
  clientIp: string;
}

/**
 * UIA for a signed-in user about to do something dangerous (change the
 * password, deactivate, delete devices): they must prove again who they are,
 * and the proof must be for the user the access token belongs to.
 */
export class Reauthenticator {
  constructor(
    private readonly uia: UserInteractiveAuth,
    private readonly users: UsersStore,
    /** rc_login.failed_attempts; UIA failures get their own buckets ("uia:" keys), as Synapse has a separate limiter. */
    private readonly failedAttempts: Ratelimiter,
  ) {}

  async validate(
    requester: Requester,
    clientdict: Record<string, unknown>,
    auth: unknown,
    req: RequestInfo,
  ): Promise<{ params: Record<string, unknown>; sessionId: string }> {
    const userId = requester.userId;
    const target = { requester: userId, key: `uia:${userId}` };
    this.failedAttempts.ratelimit({ ...target, update: false });
    const user = await this.users.get(userId);
    const flows = user?.passwordHash ? [[LOGIN_PASSWORD]] : [];
    const result = await this.uia.check({
      ...req,
      flows,
      auth,
      clientdict,
      onStageFailed: () => void this.failedAttempts.canDoAction(target),
    });
    if (result.completed[LOGIN_PASSWORD] !== userId) throw forbidden("Invalid auth");
    return { params: result.params, sessionId: result.sessionId };
  }
}
