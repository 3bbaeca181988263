import type { Clock } from "../observability/clock.ts";
import type { AccessTokensStore } from "../storage/stores/access-tokens.ts";
import type { Requester } from "../http/context.ts";
import { MatrixError, unknownToken } from "../http/errors.ts";
import { generateToken, hashToken } from "./tokens.ts";
import { TokenCache } from "./token-cache.ts";

export interface IssueOptions {
  /** Lifetime for refreshable tokens; omitted = never expires. */
  validForMs?: number;
  refreshTokenHash?: string;
  puppetsUserId?: string;
}

export interface ResolveOptions {
  /** Logout accepts an expired refreshable token, so a client can end the session it holds. */
  allowExpired?: boolean;
}

/** The localpart of a user id, as embedded in tokens. */
export function localpartOf(userId: string): string {
  return userId.slice(1, userId.indexOf(":"));
}

type LookupRow = NonNullable<Awaited<ReturnType<AccessTokensStore["lookup"]>>>;

/** Issues and resolves this server's own access tokens (the non-MAS path). */
export class AccessTokenService {
  /** Looked-up rows; dropped at once by any write to tokens or users (see TokenCache). */
  readonly cache: TokenCache<LookupRow>;

  constructor(
    private readonly clock: Clock,
    private readonly store: AccessTokensStore,
  ) {
    this.cache = new TokenCache(clock, () => store.generation());
  }

  /** A fresh token and the row to store for it (callers that must store it in their own transaction use this). */
  mint(userId: string, deviceId: string | null, opts: IssueOptions = {}) {
    const token = generateToken("syt", localpartOf(userId));
    const now = this.clock.now();
    const row = {
      tokenHash: hashToken(token),
      userId,
      deviceId,
      validUntilTs: opts.validForMs !== undefined ? now + opts.validForMs : null,
      refreshTokenHash: opts.refreshTokenHash ?? null,
      puppetsUserId: opts.puppetsUserId ?? null,
      createdTs: now,
    };
    return { token, row };
  }

  async issue(userId: string, deviceId: string | null, opts: IssueOptions = {}): Promise<string> {
    const { token, row } = this.mint(userId, deviceId, opts);
    await this.store.insert(row);
    return token;
  }

  async resolve(token: string, opts: ResolveOptions = {}): Promise<Requester> {
    const tokenHash = hashToken(token);
    // A refreshable token's first use writes (below), so it is only cached once marked used.
    const row = await this.cache.get(tokenHash, () => this.store.lookup(tokenHash), (r) => r.refreshTokenHash === null || r.used);
    if (!row) throw unknownToken("Unrecognised access token");
    const now = this.clock.now();
    if (!opts.allowExpired && row.validUntilTs !== null && row.validUntilTs <= now) {
      // An expired refreshable token: the client should refresh, not log the user out.
      throw unknownToken("Access token has expired", true);
    }
    if (row.deactivated) throw unknownToken("User account has been deactivated");
    if (row.locked) throw new MatrixError(401, "M_USER_LOCKED", "This account has been locked", { soft_logout: true });
    // The first use of a refreshed token retires the refresh token it came from.
    if (row.refreshTokenHash !== null && !row.used) await this.store.markUsed(tokenHash, now);
    return {
      userId: row.userId,
      deviceId: row.deviceId,
      isGuest: row.isGuest,
      isAdmin: row.admin,
      puppetedBy: row.puppetsUserId ?? undefined,
      tokenId: tokenHash,
    };
  }

  revoke(tokenId: string): Promise<void> {
    return this.store.delete(tokenId);
  }
}
