import { MatrixError, invalidParam } from "../http/errors.ts";
import { MAX_IDENTIFIER_BYTES, utf8Length } from "../matrix/identifiers.ts";

export type LoginIdentifier =
  | { kind: "user"; userId: string }
  | { kind: "thirdparty"; medium: string; address: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Who a login (or UIA password stage) names: `identifier`, or the deprecated
 * top-level `user` / `medium`+`address`, which win when present (as in Synapse).
 * A bare localpart is qualified with our server name.
 */
export function parseLoginIdentifier(submission: Record<string, unknown>, serverName: string): LoginIdentifier {
  let identifier: Record<string, unknown> = {};
  if (submission.identifier !== undefined) {
    if (!isObject(submission.identifier)) throw invalidParam("Invalid parameter identifier: expected an object");
    identifier = submission.identifier;
  }
  if (submission.user !== undefined && submission.user !== null && submission.user !== "") {
    identifier = { type: "m.id.user", user: submission.user };
  }
  if (submission.medium && submission.address) {
    identifier = { type: "m.id.thirdparty", medium: submission.medium, address: submission.address };
  }
  if (Object.keys(identifier).length === 0) throw new MatrixError(400, "M_MISSING_PARAM", "Missing parameter: identifier");
  if (identifier.type === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "'identifier' dict has no key 'type'");

  switch (identifier.type) {
    case "m.id.user": {
      const user = identifier.user;
      if (user === undefined || user === "") throw new MatrixError(400, "M_MISSING_PARAM", "User identifier is missing 'user' key");
      if (typeof user !== "string") throw invalidParam("Invalid parameter identifier.user: expected a string");
      return { kind: "user", userId: user.startsWith("@") ? user : `@${user}:${serverName}` };
    }
    case "m.id.thirdparty": {
      const { medium, address } = identifier;
      if (typeof medium !== "string" || typeof address !== "string") throw invalidParam("Invalid thirdparty identifier");
      return { kind: "thirdparty", medium, address };
    }
    case "m.id.phone": {
      const { country, phone } = identifier;
      if (typeof country !== "string" || typeof phone !== "string") throw invalidParam("Invalid phone-type identifier");
      return { kind: "thirdparty", medium: "msisdn", address: `${country}${phone}` };
    }
    default:
      throw invalidParam("Unknown login identifier type");
  }
}

/** User ids that cannot exist here; refused before they reach a limiter key or a query. */
export function isPlausibleUserId(userId: string): boolean {
  return userId.length <= MAX_IDENTIFIER_BYTES && utf8Length(userId) <= MAX_IDENTIFIER_BYTES;
}
