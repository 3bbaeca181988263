/**
 * Case-insensitive glob matching for push rules (spec appendix "Glob-style
 * matching": `*` is zero or more characters, `?` exactly one).
 *
 * "whole" matches the entire value. "word" matches any substring that starts
 * and ends at a word boundary, where a boundary is the start or end of the
 * value or any character outside [A-Za-z0-9_] (the spec's rule for
 * `content.body`).
 */

export type GlobMode = "whole" | "word";

/** `lowered` may pass `value.toLowerCase()` when the caller already has it (one event, many recipients). */
export type StringMatcher = (value: string, lowered?: string) => boolean;

const WORD = "[A-Za-z0-9_]";
const NON_WORD = "[^A-Za-z0-9_]";
// Starts after a non-word character (or the start), or starts with one itself.
const WORD_START = `(?:(?<!${WORD})|(?=${NON_WORD}))`;
const WORD_END = `(?:(?!${WORD})|(?<=${NON_WORD}))`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * A run of wildcards becomes one bounded repeat (`?*?` → `.{2,}`), so a hostile
 * pattern like `*?*?*?*` cannot make the regex engine backtrack explosively.
 */
function globToRegExpSource(glob: string): string {
  let source = "";
  const runs = glob.match(/[^*?]+|[*?]+/g) ?? [];
  for (const run of runs) {
    if (run[0] !== "*" && run[0] !== "?") {
      source += escapeRegExp(run);
      continue;
    }
    let singles = 0;
    for (const c of run) if (c === "?") singles++;
    source += run.includes("*") ? `.{${singles},}` : `.{${singles}}`;
  }
  return source;
}

function compileRegExp(source: string, mode: GlobMode): RegExp {
  // `s` so `*` crosses newlines in multi-line bodies; `u` so `?` is one code point.
  return mode === "whole" ? new RegExp(`^${source}$`, "isu") : new RegExp(`${WORD_START}${source}${WORD_END}`, "isu");
}

/** Compiles a glob once; the returned function is cheap to call per event. */
export function compileGlob(glob: string, mode: GlobMode): StringMatcher {
  if (glob.includes("*") || glob.includes("?")) {
    const re = compileRegExp(globToRegExpSource(glob), mode);
    return (value) => re.test(value);
  }
  return compileLiteral(glob, mode);
}

/** Matches `text` literally (no wildcards), case-insensitively, in the given mode. */
export function compileLiteral(text: string, mode: GlobMode): StringMatcher {
  const lower = text.toLowerCase();
  if (mode === "whole") return (value, lowered) => (lowered ?? value.toLowerCase()) === lower;
  const re = compileRegExp(escapeRegExp(text), mode);
  // Most bodies do not contain the word at all: a substring check rules them out cheaply.
  return (value, lowered) => (lowered ?? value.toLowerCase()).includes(lower) && re.test(value);
}
