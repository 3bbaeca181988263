import * as v from "valibot";
import { MatrixError } from "../http/errors.ts";

/**
 * Filter definitions as POST /user/{userId}/filter accepts them and /sync's
 * `filter` parameter may inline them (spec definitions/sync_filter.yaml,
 * room_event_filter.yaml, event_filter.yaml). Unknown keys are kept, as
 * Synapse keeps them, so experimental fields survive a round trip.
 */

const strings = (what: string) => v.array(v.string(`expected ${what} to be strings`), `expected a list of ${what}`);
const ids = (sigil: "@" | "!", what: string) =>
  v.array(
    v.pipe(v.string(`expected ${what} to be strings`), v.startsWith(sigil, `expected ${what} starting with '${sigil}'`)),
    `expected a list of ${what}`,
  );
// valibot's object schemas let arrays through; JSON arrays are never filters.
const object = <const E extends v.ObjectEntries>(entries: E, what = "an object") =>
  v.pipe(
    v.custom<Record<string, unknown>>(
      (x) => typeof x === "object" && x !== null && !Array.isArray(x),
      `expected ${what}`,
    ),
    v.looseObject(entries, `expected ${what}`),
  );

const flag = () => v.optional(v.boolean("expected true or false"));

// The spec asks for an integer above 0; 0 is accepted too, as Synapse does, since
// clients use it to ask for no events of a kind.
const limit = v.pipe(
  v.number("expected an integer"),
  v.integer("expected an integer"),
  v.minValue(0, "expected a non-negative integer"),
);

const eventFilterEntries = {
  limit: v.optional(limit),
  types: v.optional(strings("event types")),
  not_types: v.optional(strings("event types")),
  senders: v.optional(ids("@", "user IDs")),
  not_senders: v.optional(ids("@", "user IDs")),
};

export const eventFilterSchema = object(eventFilterEntries);

export const roomEventFilterSchema = object({
  ...eventFilterEntries,
  rooms: v.optional(ids("!", "room IDs")),
  not_rooms: v.optional(ids("!", "room IDs")),
  contains_url: flag(),
  lazy_load_members: flag(),
  include_redundant_members: flag(),
  unread_thread_notifications: flag(),
});

export const roomFilterSchema = object({
  rooms: v.optional(ids("!", "room IDs")),
  not_rooms: v.optional(ids("!", "room IDs")),
  include_leave: flag(),
  ephemeral: v.optional(roomEventFilterSchema),
  state: v.optional(roomEventFilterSchema),
  timeline: v.optional(roomEventFilterSchema),
  account_data: v.optional(roomEventFilterSchema),
});

export const filterSchema = object(
  {
    event_fields: v.optional(strings("field paths")),
    event_format: v.optional(v.picklist(["client", "federation"], "expected 'client' or 'federation'")),
    presence: v.optional(eventFilterSchema),
    account_data: v.optional(eventFilterSchema),
    room: v.optional(roomFilterSchema),
  },
  "a JSON object",
);

export type EventFilter = v.InferOutput<typeof eventFilterSchema>;
export type RoomEventFilter = v.InferOutput<typeof roomEventFilterSchema>;
export type RoomFilter = v.InferOutput<typeof roomFilterSchema>;
export type Filter = v.InferOutput<typeof filterSchema>;

/**
 * Validates a filter definition. Wrong JSON types are 400 M_BAD_JSON; values of
 * the right type that the spec does not allow are 400 M_INVALID_PARAM. The
 * message names the offending field, e.g. `room.timeline.limit`.
 */
export function parseFilter(json: unknown): Filter {
  const result = v.safeParse(filterSchema, json);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const field = v.getDotPath(issue);
  const errcode = issue.kind === "validation" || issue.type === "picklist" ? "M_INVALID_PARAM" : "M_BAD_JSON";
  const where = field === null ? "filter" : `filter field '${field}'`;
  throw new MatrixError(400, errcode, `Invalid ${where}: ${issue.message}`);
}

/** For /sync?filter=…: text starting with `{` is an inline filter, anything else a filter ID. */
export function isInlineFilter(param: string): boolean {
  return param.startsWith("{");
}

/** Parses an inline filter given as JSON text; text that is not JSON is 400 M_NOT_JSON. */
export function parseInlineFilter(text: string): Filter {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MatrixError(400, "M_NOT_JSON", "Invalid filter JSON");
  }
  return parseFilter(json);
}
