/**
 * Dot-separated property paths (spec appendix "Dot-separated property paths"),
 * used by push rule conditions and by filters' `event_fields`.
 * A literal `.` or `\` inside a property name is escaped with `\`; any other
 * `\x` stays a literal backslash followed by `x`.
 *
 * Both push/ and sync/ need this; it belongs with the protocol primitives in
 * src/matrix/ and can move there.
 */

/** Splits `content.m\.relates_to.rel_type` into `["content", "m.relates_to", "rel_type"]`. */
export function splitPropertyPath(path: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === "\\") {
      const next = path[i + 1];
      if (next === "." || next === "\\") {
        current += next;
        i++;
      } else {
        current += "\\";
      }
    } else if (c === ".") {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/** The inverse of one step of splitPropertyPath: escapes a single property name. */
export function escapePropertyName(name: string): string {
  return name.replace(/[\\.]/g, (c) => `\\${c}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The value at `segments` inside `root`, or undefined when any step is missing
 * or is not an object. Arrays are leaves: a path never indexes into them.
 */
export function valueAtPath(root: unknown, segments: readonly string[]): unknown {
  let node: unknown = root;
  for (const segment of segments) {
    if (!isPlainObject(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}
