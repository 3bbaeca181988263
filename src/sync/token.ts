import { MatrixError } from "../http/errors.ts";

/**
 * /sync's `since`/`next_batch` token: one position per stream, in a fixed order,
 * `s<events>_<receipts>_<typing>_<account_data>_<presence>_<to_device>_<device_lists>`.
 * New streams are only ever appended; a token missing trailing positions (from
 * an older server) reads them as 0. A plain `s<n>` is the events position alone,
 * as the rooms module's stream tokens are.
 */
export const STREAM_KEYS = ["events", "receipts", "typing", "account_data", "presence", "to_device", "device_lists"] as const;

export type StreamKey = (typeof STREAM_KEYS)[number];

export type SyncToken = Record<StreamKey, number>;

export function emptyToken(): SyncToken {
  return Object.fromEntries(STREAM_KEYS.map((k) => [k, 0])) as SyncToken;
}

export function formatSyncToken(token: SyncToken): string {
  return "s" + STREAM_KEYS.map((k) => token[k]).join("_");
}

/** Parses a since token; malformed ones are 400 M_INVALID_PARAM, as Synapse answers. */
export function parseSyncToken(text: string): SyncToken {
  const bad = () => new MatrixError(400, "M_INVALID_PARAM", `Invalid stream token: ${text.slice(0, 100)}`);
  if (!text.startsWith("s")) throw bad();
  const parts = text.slice(1).split("_");
  if (parts.length > STREAM_KEYS.length + 8) throw bad();
  const token = emptyToken();
  parts.forEach((p, i) => {
    if (!/^\d{1,16}$/.test(p)) throw bad();
    const key = STREAM_KEYS[i];
    // Positions of streams this server does not know yet are ignored.
    if (key) token[key] = Number(p);
  });
  return token;
}

/** True when any stream of `a` is past `b`'s. */
export function isAfter(a: SyncToken, b: SyncToken): boolean {
  return STREAM_KEYS.some((k) => a[k] > b[k]);
}
