import type { Requester } from "../http/context.ts";
import type { AccessTokenService } from "./access-tokens.ts";

/**
 * Turns a bearer token into the requester it stands for, or throws the
 * MatrixError the client must see. One implementation per auth backend: this
 * server's own tokens, or the Matrix Authentication Service (src/mas/).
 */
export interface TokenResolver {
  resolve(token: string): Promise<Requester>;
}

/** The non-delegated path: tokens this server issued itself. */
export function localTokenResolver(tokens: AccessTokenService): TokenResolver {
  return { resolve: (token) => tokens.resolve(token) };
}
