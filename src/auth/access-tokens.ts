import type { Clock } from "../observability/clock.ts";
import type { AccessTokensStore } from "../storage/stores/access-tokens.ts";
import type { Requester } from "../http/context.ts";
import { MatrixError, unknownToken } from "../http/errors.ts";
import { generateToken, hashToken } from "./tokens.ts";

export interface IssueOptions {
  /** Lifetime for refreshable tokens; omitted = never expires. */
  validForMs?: number;
  refreshTokenHash?: string;
  puppetsUserId?: string;
}

/** Issues and resolves this server's own access tokens (the non-MAS path). */
export class AccessTokenService {
  constructor(
    private readonly clock: Clock,
    private readonly store: AccessTokensStore,
  ) {}

  async issue(userId: string, deviceId: string | null, opts: IssueOptions = {}): Promise<string> {
    const localpart = userId.slice(1, userId.indexOf(":"));
    const token = generateToken("syt", localpart);
    const now = this.clock.now();
    await this.store.insert({
      tokenHash: hashToken(token),
      userId,
      deviceId,
      validUntilTs: opts.validForMs !== undefined ? now + opts.validForMs : null,
      refreshTokenHash: opts.refreshTokenHash ?? null,
      puppetsUserId: opts.puppetsUserId ?? null,
      createdTs: now,
    });
    return token;
  }

  async resolve(token: string): Promise<Requester> {
    const tokenHash = hashToken(token);
    const row = await this.store.lookup(tokenHash);
    if (!row) throw unknownToken("Unrecognised access token");
    if (row.validUntilTs !== null && row.validUntilTs <= this.clock.now()) {
      // An expired refreshable token: the client should refresh, not log the user out.
      throw unknownToken("Access token has expired", true);
    }
    if (row.deactivated) throw unknownToken("User account has been deactivated");
    if (row.locked) throw new MatrixError(401, "M_USER_LOCKED", "This account has been locked", { soft_logout: true });
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
