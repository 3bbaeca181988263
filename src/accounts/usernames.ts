import { MatrixError } from "../http/errors.ts";
import { isValidLocalpart, MAX_IDENTIFIER_BYTES, utf8Length } from "../matrix/identifiers.ts";

/** Longest `username` a registration request may carry before any other check. */
export const MAX_USERNAME_INPUT = 512;

/** Purely numeric localparts are what the server generates, for guests and nameless registrations. */
export const GENERATED_LOCALPART = /^\d+$/;

const invalidUsername = (msg: string) => new MatrixError(400, "M_INVALID_USERNAME", msg);

/**
 * The grammar a new local user id must satisfy (Synapse's messages). Does not
 * look at the database: availability is checked separately.
 */
export function checkLocalpartGrammar(localpart: string, serverName: string, opts: { allowNumeric?: boolean } = {}): void {
  if (localpart.length === 0) throw invalidUsername("User ID cannot be empty");
  if (!isValidLocalpart(localpart)) throw invalidUsername("User ID can only contain characters a-z, 0-9, or '=_-./+'");
  if (localpart.startsWith("_")) throw invalidUsername("User ID may not begin with _");
  if (utf8Length(`@${localpart}:${serverName}`) > MAX_IDENTIFIER_BYTES) {
    throw invalidUsername(`User ID may not be longer than ${MAX_IDENTIFIER_BYTES} characters`);
  }
  if (!opts.allowNumeric && GENERATED_LOCALPART.test(localpart)) {
    throw invalidUsername("Numeric user IDs are reserved for guest users.");
  }
}
