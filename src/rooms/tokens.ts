// Pagination tokens. `t<depth>-<stream>` is a topological position (after the event at
// that depth and stream ordering), `s<stream>` a stream position (after stream ordering
// n, as /sync hands out). Both are read from the database's own orderings, so they stay
// valid across restarts.
import { invalidParam } from "../http/errors.ts";

export type PaginationToken = { kind: "topo"; depth: number; stream: number } | { kind: "stream"; stream: number };

const TOPO = /^t(-?\d{1,16})-(\d{1,16})$/;
const STREAM = /^s(\d{1,16})$/;

export function parseToken(value: string, param = "from"): PaginationToken {
  let m = TOPO.exec(value);
  if (m) return { kind: "topo", depth: Number(m[1]), stream: Number(m[2]) };
  // Synapse's stream tokens may carry further streams after '_' (s12_34_...): the first is events.
  m = STREAM.exec(value.split("_")[0] ?? "");
  if (m) return { kind: "stream", stream: Number(m[1]) };
  throw invalidParam(`Invalid ${param} token`);
}

export function topoToken(depth: number, stream: number): string {
  return `t${depth}-${stream}`;
}

export function streamToken(stream: number): string {
  return `s${stream}`;
}

/** The position just before `row`: backward pagination from it starts at the event before. */
export function tokenBefore(row: { depth: number; streamOrdering: number }): string {
  return topoToken(row.depth, row.streamOrdering - 1);
}

/** The position just after `row`. */
export function tokenAfter(row: { depth: number; streamOrdering: number }): string {
  return topoToken(row.depth, row.streamOrdering);
}
