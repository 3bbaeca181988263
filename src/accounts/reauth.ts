import type { Requester } from "../http/context.ts";
import { forbidden } from "../http/errors.ts";
import type { Clock } from "../observability/clock.ts";
import type { Ratelimiter } from "../ratelimit/limiter.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import type { AccountActivityStore } from "../storage/stores/account-activity.ts";
import { LOGIN_PASSWORD } from "./uia-stages.ts";
import type { UserInteractiveAuth } from "./uia.ts";

export interface RequestInfo {
  uri: string;
  method: string;
  clientIp: string;
}

export interface ReauthSettings {
  /** m.login.password may be used to re-authenticate (`password_config`). */
  passwords: boolean;
  /** `ui_auth.session_timeout`; 0 = always ask. */
  sessionTimeoutMs: number;
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
    private readonly clock: Clock,
    private readonly activity: AccountActivityStore,
    private readonly settings: ReauthSettings = { passwords: true, sessionTimeoutMs: 0 },
  ) {}

  /**
   * Resolves with the request parameters once the user has re-authenticated.
   * With `canSkip` (device deletion, as in Synapse), a token that passed UIA
   * within `ui_auth.session_timeout` is not asked again; `sessionId` is then null.
   */
  async validate(
    requester: Requester,
    clientdict: Record<string, unknown>,
    auth: unknown,
    req: RequestInfo,
    opts: { canSkip?: boolean } = {},
  ): Promise<{ params: Record<string, unknown>; sessionId: string | null }> {
    const timeout = this.settings.sessionTimeoutMs;
    if (opts.canSkip && timeout > 0) {
      const last = await this.activity.lastValidated(requester.tokenId);
      if (last !== undefined && this.clock.now() - last < timeout) return { params: clientdict, sessionId: null };
    }
    const userId = requester.userId;
    const target = { requester: userId, key: `uia:${userId}` };
    this.failedAttempts.ratelimit({ ...target, update: false });
    const user = await this.users.get(userId);
    const flows = user?.passwordHash && this.settings.passwords ? [[LOGIN_PASSWORD]] : [];
    const result = await this.uia.check({
      ...req,
      flows,
      auth,
      clientdict,
      onStageFailed: () => void this.failedAttempts.canDoAction(target),
    });
    if (result.completed[LOGIN_PASSWORD] !== userId) throw forbidden("Invalid auth");
    await this.activity.setLastValidated(requester.tokenId, this.clock.now());
    return { params: result.params, sessionId: result.sessionId };
  }
}
