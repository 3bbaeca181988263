// Canonical JSON (spec appendix "Canonical JSON"): shortest UTF-8 JSON, object keys sorted
// by Unicode code point, no insignificant whitespace, integers only in [-(2^53)+1, 2^53-1].

/** Thrown for values canonical JSON cannot encode; callers map it to 400 M_BAD_JSON. */
export class CanonicalJsonError extends TypeError {
  constructor(
    message: string,
    /** Where in the value the problem is, e.g. `content.count`. */
    readonly path: string,
  ) {
    super(path ? `${message} at ${path}` : message);
    this.name = "CanonicalJsonError";
  }
}

export interface CanonicalJsonOptions {
  /**
   * Encode floats and out-of-range integers instead of throwing, formatted as Python's
   * json module would. Only for hashing and verifying events of room versions 1-5, which
   * predate strict canonical JSON; never for producing new data.
   */
  lenientNumbers?: boolean;
}

export const MAX_SAFE_INTEGER = 2 ** 53 - 1;

/**
 * Orders strings by code point. Plain `<` compares UTF-16 code units, which puts astral
 * characters (surrogate pairs) before U+E000..U+FFFF; shift the ranges so they sort last.
 */
export function compareCodepoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

function encodeString(s: string, path: string): string {
  // Lone surrogates have no UTF-8 encoding.
  if (!s.isWellFormed()) throw new CanonicalJsonError("string contains a lone surrogate", path);
  // JSON.stringify escapes exactly what the spec's grammar requires: `"`, `\`, the five
  // short escapes and other C0 controls as lowercase \u00XX; everything else stays raw.
  return JSON.stringify(s);
}

/** Python's repr() of a float: scientific below 1e-4 or from 1e16, else fixed with a fraction. */
function pythonFloatRepr(v: number): string {
  const [mantissa, expPart] = v.toExponential().split("e");
  const exp = Number(expPart);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const sign = negative ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, "0");
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  const intPart = digits.slice(0, intLen).padEnd(intLen, "0");
  const frac = digits.slice(intLen) || "0";
  return `${sign}${intPart}.${frac}`;
}

function encodeNumber(v: number, path: string, lenient: boolean): string {
  if (!Number.isFinite(v)) throw new CanonicalJsonError("number is not finite", path);
  if (Object.is(v, -0)) return "0";
  if (Number.isInteger(v)) {
    if (Math.abs(v) <= MAX_SAFE_INTEGER) return String(v);
    if (lenient) return BigInt(v).toString();
    throw new CanonicalJsonError("integer out of canonical JSON range", path);
  }
  if (lenient) return pythonFloatRepr(v);
  throw new CanonicalJsonError("floats are not allowed in canonical JSON", path);
}

function encode(value: unknown, path: string, lenient: boolean): string {
  switch (typeof value) {
    case "string":
      return encodeString(value, path);
    case "number":
      return encodeNumber(value, path, lenient);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        const parts = value.map((item, i) => {
          if (item === undefined) throw new CanonicalJsonError("undefined in array", `${path}[${i}]`);
          return encode(item, `${path}[${i}]`, lenient);
        });
        return `[${parts.join(",")}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new CanonicalJsonError("not a plain JSON object", path);
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort(compareCodepoints);
      const members = keys.map((k) => {
        const childPath = path ? `${path}.${k}` : k;
        return `${encodeString(k, childPath)}:${encode(record[k], childPath, lenient)}`;
      });
      return `{${members.join(",")}}`;
    }
    default:
      throw new CanonicalJsonError(`${typeof value} is not JSON`, path);
  }
}

/** Encodes `value` as canonical JSON. Throws CanonicalJsonError (a TypeError) if it cannot. */
export function canonicalJson(value: unknown, opts: CanonicalJsonOptions = {}): string {
  return encode(value, "", opts.lenientNumbers === true);
}

/** Canonical JSON as UTF-8 bytes, ready for hashing or signing. */
export function canonicalJsonBytes(value: unknown, opts: CanonicalJsonOptions = {}): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value, opts));
}
