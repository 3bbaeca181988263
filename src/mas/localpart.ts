import { MatrixError } from "../http/errors.ts";
import { checkLocalpartGrammar, GENERATED_LOCALPART } from "../accounts/usernames.ts";

/**
 * The checks of `is_localpart_available` and of a user created by
 * `provision_user`, in Synapse's order for this API: grammar, then whether the
 * id is taken ignoring case, then the numeric ids reserved for guests.
 * Application-service namespaces (M_EXCLUSIVE) are not checked: Hearth has no
 * application services yet.
 */
export async function checkNewLocalpart(
  localpart: string,
  serverName: string,
  findExisting: (userId: string) => Promise<string | undefined>,
): Promise<void> {
  checkLocalpartGrammar(localpart, serverName, { allowNumeric: true });
  if ((await findExisting(`@${localpart}:${serverName}`)) !== undefined) {
    throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
  }
  if (GENERATED_LOCALPART.test(localpart)) {
    throw new MatrixError(400, "M_INVALID_USERNAME", "Numeric user IDs are reserved for guest users.");
  }
}
