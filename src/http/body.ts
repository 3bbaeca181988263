import * as v from "valibot";
import type { Ctx } from "./context.ts";
import { MatrixError, badJson, notJson, tooLarge } from "./errors.ts";

/** JSON bodies larger than this are refused before parsing (media has its own limit). */
export const MAX_JSON_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Objects and arrays nested deeper than this are refused: what handles the content
 * (canonical JSON, storage) walks it recursively, and tens of thousands of levels would
 * exhaust the stack. Synapse's JSON decoder stops near the same depth.
 */
export const MAX_JSON_DEPTH = 1000;

/** Reads the body as a JSON object: 413 when too large, M_NOT_JSON when not JSON, M_BAD_JSON when not an object. */
export async function readJsonObject(c: Ctx, opts: { allowEmpty?: boolean } = {}): Promise<Record<string, unknown>> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_JSON_BODY_BYTES) throw tooLarge("Request body too large");
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > MAX_JSON_BODY_BYTES) throw tooLarge("Request body too large");
  const text = new TextDecoder().decode(buf);
  if (text.trim() === "") {
    if (opts.allowEmpty) return {};
    throw notJson("Content not JSON.");
  }
  // Only a body of twice the limit's length can be nested that deep.
  if (text.length > 2 * MAX_JSON_DEPTH && nestedDeeperThan(text, MAX_JSON_DEPTH)) {
    throw badJson(`Content is nested more than ${MAX_JSON_DEPTH} levels deep.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notJson("Content not JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badJson("Content must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

/** Whether objects and arrays in the JSON text nest deeper than `limit` (strings are skipped). */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** Validates with a valibot schema; a failure names the field: M_MISSING_PARAM, M_INVALID_PARAM or M_BAD_JSON. */
export function validate<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = v.getDotPath(issue) ?? "";
  if (issue.input === undefined && path) {
    throw new MatrixError(400, "M_MISSING_PARAM", `Missing parameter: ${path}`);
  }
  const code = path ? "M_INVALID_PARAM" : "M_BAD_JSON";
  throw new MatrixError(400, code, path ? `Invalid parameter ${path}: ${issue.message}` : issue.message);
}

export async function parseBody<S extends v.GenericSchema>(
  c: Ctx,
  schema: S,
  opts?: { allowEmpty?: boolean },
): Promise<v.InferOutput<S>> {
  return validate(schema, await readJsonObject(c, opts));
}

/** Query parameters as a plain object (first value wins), for validation. */
export function queryObject(c: Ctx): Record<string, string> {
  return c.req.query();
}
