// m.room.canonical_alias content rules, as Synapse applies them: which aliases of a new
// event must be checked against the directory, the content left once an alias is
// deleted, and how a room upgrade splits local aliases (moved) from remote ones (kept).
import { MatrixError, invalidParam } from "../http/errors.ts";
import { isValidRoomAlias } from "../matrix/identifiers.ts";

/**
 * The aliases of a new canonical alias event that are not in the event it replaces, so
 * must point to the room now: `alias` when it changed, alt_aliases that are new.
 * Throws 400 M_INVALID_PARAM for a malformed alias or a non-list alt_aliases.
 */
export function aliasesToValidate(content: Record<string, unknown>, previous: Record<string, unknown> | undefined): string[] {
  const out: string[] = [];
  const alias = content.alias;
  if (alias !== undefined && alias !== null && alias !== "" && alias !== previous?.alias) {
    if (typeof alias !== "string" || !isValidRoomAlias(alias)) throw invalidParam(`Invalid alias: ${String(alias).slice(0, 255)}`);
    out.push(alias);
  }
  const alt = content.alt_aliases ?? [];
  if (!Array.isArray(alt)) throw invalidParam("The alt_aliases property must be a list.");
  const before = Array.isArray(previous?.alt_aliases) ? new Set(previous.alt_aliases as unknown[]) : new Set<unknown>();
  for (const a of alt) {
    if (before.has(a)) continue;
    if (typeof a !== "string" || !isValidRoomAlias(a)) throw invalidParam(`Invalid alias: ${String(a).slice(0, 255)}`);
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

/** Checks that each alias resolves to `roomId` (400 M_BAD_ALIAS otherwise). */
export async function checkAliasesPointTo(
  aliases: string[],
  roomId: string,
  resolve: (alias: string) => Promise<{ roomId: string } | null>,
): Promise<void> {
  for (const alias of aliases) {
    const mapping = await resolve(alias);
    if (mapping?.roomId !== roomId) throw new MatrixError(400, "M_BAD_ALIAS", `Room alias ${alias} does not point to the room`);
  }
}

/** The canonical alias content without `alias`; null when nothing changes (no event to send). */
export function canonicalAliasWithout(content: Record<string, unknown>, alias: string): Record<string, unknown> | null {
  const out = { ...content };
  let changed = false;
  if (out.alias === alias) {
    delete out.alias;
    changed = true;
  }
  const alt = out.alt_aliases;
  delete out.alt_aliases;
  if (Array.isArray(alt)) {
    // Synapse rewrites the list whenever it is one, dropping it when it ends up empty.
    changed = true;
    const kept = alt.filter((a) => a !== alias);
    if (kept.length > 0) out.alt_aliases = kept;
  } else if (alt !== undefined) {
    out.alt_aliases = alt;
  }
  return changed ? out : null;
}

/**
 * Room upgrade (behaviour spec §7.6): the new room takes the local `alias` and the local
 * alt aliases; the old room keeps the rest, an emptied alt_aliases dropped.
 */
export function splitCanonicalAlias(
  content: Record<string, unknown>,
  isLocal: (alias: string) => boolean,
): { old: Record<string, unknown>; new: Record<string, unknown> } {
  const oldContent: Record<string, unknown> = { ...content };
  const newContent: Record<string, unknown> = {};
  const canonical = content.alias;
  if (typeof canonical === "string" && canonical !== "" && isLocal(canonical)) {
    newContent.alias = canonical;
    delete oldContent.alias;
  }
  const alt = content.alt_aliases;
  if (Array.isArray(alt) && alt.length > 0) {
    const kept: unknown[] = [];
    const moved: string[] = [];
    for (const a of alt) {
      if (typeof a === "string" && isLocal(a)) moved.push(a);
      else kept.push(a);
    }
    newContent.alt_aliases = moved;
    if (kept.length > 0) oldContent.alt_aliases = kept;
    else delete oldContent.alt_aliases;
  }
  return { old: oldContent, new: newContent };
}
