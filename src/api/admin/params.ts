// Query-string and body-field parsing with Synapse's admin API messages, each naming
// the field. Synapse uses M_UNKNOWN for some of these; Hearth answers M_INVALID_PARAM
// (or M_MISSING_PARAM) with the same text, as every validation failure here does.
import type { Ctx } from "../../http/context.ts";
import { MatrixError, badJson } from "../../http/errors.ts";
import { isValidRoomId, parseUserId } from "../../matrix/identifiers.ts";

const invalid = (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg);
const missing = (msg: string) => new MatrixError(400, "M_MISSING_PARAM", msg);

export function intParam(c: Ctx, name: string, opts: { default: number; max?: number }): number;
export function intParam(c: Ctx, name: string, opts?: { default?: number; max?: number }): number | undefined;
export function intParam(c: Ctx, name: string, opts: { default?: number; max?: number } = {}): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return opts.default;
  if (!/^-?\d+$/.test(raw)) throw invalid(`Query parameter ${name} must be an integer`);
  const n = Number(raw);
  if (n < 0) throw invalid(`Query parameter ${name} must be a positive integer.`);
  if (!Number.isSafeInteger(n)) throw invalid(`Query parameter ${name} must be an integer`);
  return opts.max !== undefined ? Math.min(n, opts.max) : n;
}

export function requiredIntParam(c: Ctx, name: string): number {
  const n = intParam(c, name);
  if (n === undefined) throw missing(`Missing required integer query parameter ${name}`);
  return n;
}

export function boolParam(c: Ctx, name: string, dflt: boolean): boolean;
export function boolParam(c: Ctx, name: string): boolean | undefined;
export function boolParam(c: Ctx, name: string, dflt?: boolean): boolean | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return dflt;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw invalid(`Boolean query parameter '${name}' must be one of ['true', 'false']`);
}

export function stringParam<T extends string>(c: Ctx, name: string, opts: { allowed: readonly T[]; default: T }): T;
export function stringParam(c: Ctx, name: string): string | undefined;
export function stringParam(c: Ctx, name: string, opts?: { allowed: readonly string[]; default: string }): string | undefined {
  const raw = c.req.query(name);
  if (!opts) return raw;
  if (raw === undefined) return opts.default;
  if (!opts.allowed.includes(raw)) {
    throw invalid(`Query parameter '${name}' must be one of [${opts.allowed.map((a) => `'${a}'`).join(", ")}]`);
  }
  return raw;
}

export function dirParam(c: Ctx, dflt: "f" | "b" = "f"): "f" | "b" {
  return stringParam(c, "dir", { allowed: ["f", "b"] as const, default: dflt });
}

/** Every value of a repeatable query parameter. */
export function stringsParam(c: Ctx, name: string): string[] {
  return c.req.queries(name) ?? [];
}

/** A path user id: 400 when it is not a user id at all (Synapse's UserID.from_string). */
export function pathUserId(c: Ctx, name = "userId"): string {
  const userId = c.req.param(name) ?? "";
  if (!parseUserId(userId)) throw invalid(`Invalid user ID: ${userId.slice(0, 255)}`);
  return userId;
}

export function pathRoomId(c: Ctx, name = "roomId"): string {
  const roomId = c.req.param(name) ?? "";
  if (!isValidRoomId(roomId)) throw invalid(`${roomId.slice(0, 255)} is not a legal room ID`);
  return roomId;
}

export function isLocalUser(userId: string, serverName: string): boolean {
  return parseUserId(userId)?.serverName === serverName;
}

/** An optional boolean body field; Synapse's "Param 'x' must be a boolean, if given" (M_BAD_JSON). */
export function boolField(body: Record<string, unknown>, name: string, dflt: boolean): boolean {
  const v = body[name];
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw badJson(`Param '${name}' must be a boolean, if given`);
  return v;
}

/** An optional string body field. */
export function stringField(body: Record<string, unknown>, name: string, opts: { maxLength?: number } = {}): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalid(`Param '${name}' must be a string, if given`);
  if (opts.maxLength !== undefined && v.length > opts.maxLength) throw invalid(`Param '${name}' is too long (max ${opts.maxLength})`);
  return v;
}

export function requireField(body: Record<string, unknown>, name: string): unknown {
  if (!(name in body)) throw missing(`Missing params: ['${name}']`);
  return body[name];
}
