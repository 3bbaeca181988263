import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";
import type { Requester } from "../http/context.ts";
import { MatrixError, unknownToken } from "../http/errors.ts";
import type { TokenResolver } from "../auth/token-resolver.ts";
import { hashToken } from "../auth/tokens.ts";
import { acceptIntrospection } from "./acceptance.ts";
import type { IntrospectionResult } from "./introspection.ts";
import type { CacheOutcome, ResponseCache } from "./introspection-cache.ts";

export interface MasTokenResolverDeps {
  serverName: string;
  clock: Clock;
  introspect(token: string): Promise<IntrospectionResult>;
  /** Keyed by the token's SHA-256, so raw tokens are not held as keys. */
  cache: ResponseCache<IntrospectionResult>;
  userExists(userId: string): Promise<boolean>;
  /** Hidden devices count as missing. */
  deviceExists(userId: string, deviceId: string): Promise<boolean>;
  onLookup?(outcome: CacheOutcome): void;
}

const log = () => getLogger(["hearth", "mas", "auth"]);

/** Resolves MAS-issued tokens: introspection (cached), Synapse's acceptance rules, then the user and device. */
export class MasTokenResolver implements TokenResolver {
  constructor(private readonly deps: MasTokenResolverDeps) {}

  async resolve(token: string): Promise<Requester> {
    const { cache, clock, serverName } = this.deps;
    const key = hashToken(token);
    let result: IntrospectionResult;
    try {
      const got = await cache.get(key, () => this.deps.introspect(token));
      this.deps.onLookup?.(got.outcome);
      result = got.value;
    } catch (err) {
      log().error("Failed to introspect token: {error}", { error: (err as Error).message });
      throw new MatrixError(503, "M_UNKNOWN", "Unable to introspect the access token");
    }
    const accepted = acceptIntrospection(result, clock.now(), serverName);
    if (!accepted.ok) {
      switch (accepted.reason) {
        case "inactive":
        case "expired":
          throw unknownToken("Token is not active");
        case "no_api_scope":
          throw unknownToken("Token doesn't grant access to the Matrix C-S API");
        case "misconfigured":
          // Synapse answers 500 here; a client must never see a 500 for an auth problem.
          log().warn("Refusing a MAS token: {reason}", { reason: accepted.detail });
          throw unknownToken("The access token does not map to a user of this homeserver");
      }
    }
    const { userId, deviceId } = accepted;
    if (!(await this.deps.userExists(userId))) {
      log().warn("Refusing a MAS token: user {userId} not found (MAS must provision it first)", { userId });
      throw unknownToken("The access token does not map to a user of this homeserver");
    }
    if (deviceId !== null && !(await this.deps.deviceExists(userId, deviceId))) {
      // The device was deleted (logout in MAS): forget the answer so the token fails at once, every time.
      cache.evict(key);
      log().info("Refusing a MAS token of {userId}: device {deviceId} does not exist", { userId, deviceId });
      throw unknownToken("Token is not active");
    }
    return { userId, deviceId, isGuest: false, isAdmin: accepted.isAdmin, tokenId: `mas:${key}` };
  }
}
