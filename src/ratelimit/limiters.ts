import type { Clock } from "../observability/clock.ts";
import type { RateLimitConfig, RatelimitSettings } from "./config.ts";
import { Ratelimiter, type OverrideLookup } from "./limiter.ts";

/** One limiter per kind of action (behaviour spec §3.4); build once per homeserver. */
export interface RateLimiters {
  /** rc_message: the only limiter where non-zero per-user overrides replace rate and burst. */
  message: Ratelimiter;
  /** rc_admin_redaction, only when configured; otherwise moderator redactions use `message`. */
  adminRedaction?: Ratelimiter;
  /** Keyed by client IP. */
  registration: Ratelimiter;
  /** Keyed by client IP. */
  registrationTokenValidity: Ratelimiter;
  /** Keyed by client IP. */
  loginAddress: Ratelimiter;
  /** Keyed by the lowercased target user ID, checked without a requester. */
  loginAccount: Ratelimiter;
  loginFailedAttempts: Ratelimiter;
  joinsLocal: Ratelimiter;
  joinsRemote: Ratelimiter;
  /** Keyed by room ID; peeked before joins, every join recorded. */
  joinsPerRoom: Ratelimiter;
  /** rc_3pid_validation keyed by client IP. */
  threePidValidationIp: Ratelimiter;
  /** rc_3pid_validation keyed by medium and address. */
  threePidValidationAddress: Ratelimiter;
  /** Keyed by room ID. */
  invitesPerRoom: Ratelimiter;
  /** Keyed by the invitee. */
  invitesPerUser: Ratelimiter;
  /** Keyed by the inviter. */
  invitesPerIssuer: Ratelimiter;
  thirdPartyInvite: Ratelimiter;
  mediaCreate: Ratelimiter;
  presence: Ratelimiter;
  delayedEventMgmt: Ratelimiter;
  reports: Ratelimiter;
  roomCreation: Ratelimiter;
  userDirectory: Ratelimiter;
  keyRequests: Ratelimiter;
  /** Stops every limiter's pruning loop. */
  stopAll(): void;
}

export interface RateLimitersOptions {
  /** Told of every refusal, with the limiter's config key (e.g. "rc_message"). */
  onReject?: (limiterName: string) => void;
}

export function createRateLimiters(
  config: RateLimitConfig,
  clock: Clock,
  overrides: OverrideLookup,
  opts: RateLimitersOptions = {},
): RateLimiters {
  const all: Ratelimiter[] = [];
  const make = (s: RatelimitSettings, honourOverrideRates = false) => {
    const limiter = new Ratelimiter({ ...s, clock, overrides, honourOverrideRates, onReject: opts.onReject });
    all.push(limiter);
    return limiter;
  };
  return {
    message: make(config.rc_message, true),
    adminRedaction: config.rc_admin_redaction ? make(config.rc_admin_redaction) : undefined,
    registration: make(config.rc_registration),
    registrationTokenValidity: make(config.rc_registration_token_validity),
    loginAddress: make(config.rc_login.address),
    loginAccount: make(config.rc_login.account),
    loginFailedAttempts: make(config.rc_login.failedAttempts),
    joinsLocal: make(config.rc_joins.local),
    joinsRemote: make(config.rc_joins.remote),
    joinsPerRoom: make(config.rc_joins_per_room),
    threePidValidationIp: make(config.rc_3pid_validation),
    threePidValidationAddress: make(config.rc_3pid_validation),
    invitesPerRoom: make(config.rc_invites.perRoom),
    invitesPerUser: make(config.rc_invites.perUser),
    invitesPerIssuer: make(config.rc_invites.perIssuer),
    thirdPartyInvite: make(config.rc_third_party_invite),
    mediaCreate: make(config.rc_media_create),
    presence: make(config.rc_presence.perUser),
    delayedEventMgmt: make(config.rc_delayed_event_mgmt),
    reports: make(config.rc_reports),
    roomCreation: make(config.rc_room_creation),
    userDirectory: make(config.rc_user_directory),
    keyRequests: make(config.rc_key_requests),
    stopAll: () => {
      for (const limiter of all) limiter.stop();
    },
  };
}

export interface RequesterRateContext {
  /** The requester's application service registration's `rate_limited`, if it acts through one. */
  appServiceRateLimited?: boolean;
  /** The requester is an application service's own sender user, which rc_message never limits. */
  isAppServiceSender?: boolean;
}

/**
 * The rate-limit gate shared by /createRoom and room upgrade (spec §3.6), run
 * before any validation: peek rc_room_creation, consume rc_message, then
 * consume rc_room_creation. A denial at any step consumes nothing later, so a
 * refusal by rc_message leaves the room-creation tokens untouched.
 * Throws a 429 LimitExceededError.
 */
export function checkRoomCreation(limiters: RateLimiters, userId: string, ctx: RequesterRateContext = {}): void {
  const target = { requester: userId, appServiceRateLimited: ctx.appServiceRateLimited };
  limiters.roomCreation.ratelimit({ ...target, update: false });
  if (!ctx.isAppServiceSender) limiters.message.ratelimit(target);
  limiters.roomCreation.ratelimit(target);
}
