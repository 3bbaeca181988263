// Unpadded Base64 (spec appendix): RFC 4648 without "=" padding, standard and URL-safe.
// Decoders accept padded or unpadded input but reject anything else, because Buffer's own
// decoder silently skips invalid characters.

// Uint8Array.prototype.toBase64 (JavaScriptCore has it): no Buffer over the bytes, whose
// `.buffer` a fresh hash or signature has to materialise first, and no padding to strip.
interface ToBase64 {
  toBase64(opts: { alphabet?: "base64" | "base64url"; omitPadding?: boolean }): string;
}

export function encodeBase64(bytes: Uint8Array): string {
  return (bytes as Uint8Array & ToBase64).toBase64({ omitPadding: true });
}

export function encodeUrlSafeBase64(bytes: Uint8Array): string {
  return (bytes as Uint8Array & ToBase64).toBase64({ alphabet: "base64url", omitPadding: true });
}

const STANDARD = /^[A-Za-z0-9+/]*$/;
const URL_SAFE = /^[A-Za-z0-9_-]*$/;

function decodeWith(s: string, alphabet: RegExp, encoding: "base64" | "base64url"): Uint8Array {
  if (typeof s !== "string") throw new TypeError("base64 input must be a string");
  const unpadded = s.replace(/={1,2}$/, "");
  if (unpadded.length !== s.length && s.length % 4 !== 0) {
    throw new TypeError("invalid base64 padding");
  }
  if (unpadded.length % 4 === 1 || !alphabet.test(unpadded)) {
    throw new TypeError("invalid base64");
  }
  return new Uint8Array(Buffer.from(unpadded, encoding));
}

/** Decodes standard base64, padded or not. Throws TypeError on invalid input. */
export function decodeBase64(s: string): Uint8Array {
  return decodeWith(s, STANDARD, "base64");
}

/** Decodes URL-safe base64, padded or not. Throws TypeError on invalid input. */
export function decodeUrlSafeBase64(s: string): Uint8Array {
  return decodeWith(s, URL_SAFE, "base64url");
}
