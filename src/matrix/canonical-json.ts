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

/**
 * The encoder proper. It keeps no path: on a value it cannot encode it throws and
 * `locateProblem` walks the value again to say where. Hashing and signing encode every
 * event several times, so this is on the hot path of every send.
 */
function encode(value: unknown, lenient: boolean): string {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw PROBLEM;
      // JSON.stringify escapes exactly what the spec's grammar requires: `"`, `\`, the five
      // short escapes and other C0 controls as lowercase \u00XX; everything else stays raw.
      return JSON.stringify(value);
    case "number":
      if (Number.isInteger(value) && Math.abs(value) <= MAX_SAFE_INTEGER) return Object.is(value, -0) ? "0" : String(value);
      if (!lenient) throw PROBLEM;
      return encodeNumber(value, "", true);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          if (item === undefined) throw PROBLEM;
          out += i === 0 ? encode(item, lenient) : "," + encode(item, lenient);
        }
        return out + "]";
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw PROBLEM;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length > 1) sortKeys(keys);
      let out = "{";
      let first = true;
      for (const k of keys) {
        const v = record[k];
        if (v === undefined) continue;
        if (!k.isWellFormed()) throw PROBLEM;
        out += (first ? "" : ",") + JSON.stringify(k) + ":" + encode(v, lenient);
        first = false;
      }
      return out + "}";
    }
    default:
      throw PROBLEM;
  }
}

/** Thrown by the fast encoder; never escapes this module. */
const PROBLEM = new Error("not canonical JSON");

/** Sorts by code point; the comparator is only needed once a key has a surrogate or U+E000+. */
function sortKeys(keys: string[]): void {
  for (const k of keys) {
    if (HIGH_CHARS.test(k)) {
      keys.sort(compareCodepoints);
      return;
    }
  }
  keys.sort();
}

const HIGH_CHARS = /[\ud800-\uffff]/;

/** The slow walk that finds (and throws) what made `encode` fail, with its path. */
function locateProblem(value: unknown, path: string, lenient: boolean): void {
  switch (typeof value) {
    case "string":
      encodeString(value, path);
      return;
    case "number":
      encodeNumber(value, path, lenient);
      return;
    case "boolean":
      return;
    case "object": {
      if (value === null) return;
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          if (item === undefined) throw new CanonicalJsonError("undefined in array", `${path}[${i}]`);
          locateProblem(item, `${path}[${i}]`, lenient);
        });
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError("not a plain JSON object", path);
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        const childPath = path ? `${path}.${k}` : k;
        encodeString(k, childPath);
        locateProblem(v, childPath, lenient);
      }
      return;
    }
    default:
      throw new CanonicalJsonError(`${typeof value} is not JSON`, path);
  }
}

/**
 * The fast path: a copy with every object's keys inserted in canonical order, which the
 * engine's own JSON.stringify then writes (about twice as fast as `encode`). It gives up
 * (throws SLOW) on anything it cannot vouch for: objects with keys starting with a digit
 * (engines list integer-like keys first, whatever the insertion order), numbers other
 * than safe integers, and anything that is not JSON at all; `encode` decides those.
 */
function sortedCopy(value: unknown): unknown {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw SLOW;
      return value;
    case "number":
      if (!Number.isInteger(value) || Math.abs(value) > MAX_SAFE_INTEGER) throw SLOW;
      return value;
    case "boolean":
      return value;
    case "object": {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          if (item === undefined) throw SLOW;
          out[i] = sortedCopy(item);
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw SLOW;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length > 1) sortKeys(keys);
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const v = record[k];
        if (v === undefined) continue;
        const c = k.charCodeAt(0);
        if ((c >= 48 && c <= 57) || !k.isWellFormed()) throw SLOW;
        out[k] = sortedCopy(v);
      }
      return out;
    }
    default:
      throw SLOW;
  }
}

const SLOW = new Error("not for the fast path");

/** Encodes `value` as canonical JSON. Throws CanonicalJsonError (a TypeError) if it cannot. */
export function canonicalJson(value: unknown, opts: CanonicalJsonOptions = {}): string {
  const lenient = opts.lenientNumbers === true;
  try {
    return JSON.stringify(sortedCopy(value));
  } catch (err) {
    if (err !== SLOW) throw err;
  }
  try {
    return encode(value, lenient);
  } catch (err) {
    if (err !== PROBLEM) throw err;
    locateProblem(value, "", lenient);
    throw new CanonicalJsonError("value is not canonical JSON", "");
  }
}

/**
 * A copy of `value` whose objects list their keys in canonical order, so that
 * JSON.stringify of it, or of an object that holds it under keys inserted in canonical
 * order, is canonical JSON; undefined when only the general encoder can vouch for it
 * (see sortedCopy).
 */
export function canonicalOrderCopy(value: unknown): unknown {
  try {
    return sortedCopy(value);
  } catch (err) {
    if (err !== SLOW) throw err;
    return undefined;
  }
}

/** Canonical JSON as UTF-8 bytes, ready for hashing or signing. */
export function canonicalJsonBytes(value: unknown, opts: CanonicalJsonOptions = {}): Uint8Array {
  return UTF8.encode(canonicalJson(value, opts));
}

/** Stateless; shared so hashing a string does not make an encoder each time. */
export const UTF8 = new TextEncoder();
