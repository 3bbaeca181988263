import * as v from "valibot";
import type { Ctx } from "../../http/context.ts";
import { MatrixError, missingToken } from "../../http/errors.ts";
import { extractAccessToken } from "../../http/auth.ts";
import { readJsonObject } from "../../http/body.ts";
import { constantTimeEqual } from "../../auth/tokens.ts";

/**
 * Only MAS may call /_synapse/mas/*: the bearer token (header or query, by
 * the usual rules) must be the shared secret. Nothing else is accepted here,
 * and the secret is accepted nowhere else.
 */
export function requireMasSecret(c: Ctx, secret: string): void {
  const token = extractAccessToken(c);
  if (token === undefined) throw missingToken();
  if (!constantTimeEqual(token, secret)) {
    throw new MatrixError(403, "M_UNKNOWN", "This endpoint must only be called by MAS");
  }
}

/**
 * A JSON object body checked against `schema` with Synapse's errcodes for
 * this API: one missing field is M_MISSING_PARAM, one failed value check is
 * M_INVALID_PARAM, anything else (wrong types, several problems) M_BAD_JSON.
 * Unknown fields are ignored; types are strict.
 */
export async function parseMasBody<S extends v.GenericSchema>(c: Ctx, schema: S, before?: (body: Record<string, unknown>) => void): Promise<v.InferOutput<S>> {
  const body = await readJsonObject(c);
  before?.(body);
  return validateMas(schema, body);
}

export function validateMas<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issues = result.issues;
  const first = issues[0];
  const path = v.getDotPath(first) ?? "";
  if (issues.length === 1 && first.input === undefined && path) {
    throw new MatrixError(400, "M_MISSING_PARAM", `Missing parameter: ${path}`);
  }
  if (issues.length === 1 && first.kind === "validation") {
    throw new MatrixError(400, "M_INVALID_PARAM", `Invalid parameter ${path}: ${first.message}`);
  }
  const where = issues.map((i) => v.getDotPath(i) ?? "(body)").join(", ");
  throw new MatrixError(400, "M_BAD_JSON", `Invalid JSON body: ${where}: ${first.message}`);
}
