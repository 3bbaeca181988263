// Path and query parameters shared by the room endpoints, checked against the spec's
// identifier grammar at the edge (400 M_INVALID_PARAM), so bad input never reaches storage.
import * as v from "valibot";
import type { Ctx } from "../../http/context.ts";
import { MatrixError, invalidParam } from "../../http/errors.ts";
import { isValidEventId, isValidRoomAlias, isValidRoomId, isValidUserId } from "../../matrix/identifiers.ts";
import { roomEventFilterSchema, type RoomEventFilter } from "../../sync/filter.ts";

function param(c: Ctx, name: string): string {
  return c.req.param(name) ?? "";
}

export function roomIdParam(c: Ctx, name = "roomId"): string {
  const id = param(c, name);
  if (!isValidRoomId(id)) throw invalidParam(`Invalid room id: ${id.slice(0, 255)}`);
  return id;
}

export function eventIdParam(c: Ctx, name = "eventId"): string {
  const id = param(c, name);
  if (!isValidEventId(id)) throw invalidParam(`Invalid event id: ${id.slice(0, 255)}`);
  return id;
}

/** A room id or alias (`/join/{roomIdOrAlias}`, `/knock/{roomIdOrAlias}`). */
export function roomIdOrAliasParam(c: Ctx): string {
  const id = param(c, "roomIdOrAlias");
  if (id.startsWith("#") ? !isValidRoomAlias(id) : !isValidRoomId(id)) {
    throw invalidParam(`${id.slice(0, 255)} is not a legal room ID or room alias`);
  }
  return id;
}

export function plainParam(c: Ctx, name: string): string {
  return param(c, name);
}

export const userIdSchema = v.pipe(
  v.string("expected a user id"),
  v.check((s) => isValidUserId(s, { historical: true }), "expected a valid user id"),
);

export const contentSchema = v.custom<Record<string, unknown>>(
  (x) => typeof x === "object" && x !== null && !Array.isArray(x),
  "expected an object",
);

/** An integer query parameter within [min, max]; absent → `dflt`. */
export function intQuery(c: Ctx, name: string, dflt: number, min: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined) return dflt;
  if (!/^-?\d{1,16}$/.test(raw)) throw invalidParam(`Query parameter ${name} must be an integer`);
  const n = Number(raw);
  if (n < min) throw invalidParam(`Query parameter ${name} must be at least ${min}`);
  return Math.min(n, max);
}

export function dirQuery(c: Ctx, dflt: "b" | "f"): "b" | "f" {
  const raw = c.req.query("dir") ?? dflt;
  if (raw !== "b" && raw !== "f") throw invalidParam("Query parameter dir must be one of f, b");
  return raw;
}

/** The `filter` query parameter of /messages and /context: a RoomEventFilter as JSON. */
export function filterQuery(c: Ctx): RoomEventFilter | undefined {
  const raw = c.req.query("filter");
  if (raw === undefined || raw === "") return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new MatrixError(400, "M_NOT_JSON", "Invalid filter JSON");
  }
  const result = v.safeParse(roomEventFilterSchema, json);
  if (!result.success) throw invalidParam(`Invalid filter: ${result.issues[0].message}`);
  return result.output;
}
