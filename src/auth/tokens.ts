import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function randomString(length: number): string {
  // Rejection sampling keeps every character equally likely.
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

function base62(n: number, width: number): string {
  let s = "";
  do {
    s = BASE62[n % 62] + s;
    n = Math.floor(n / 62);
  } while (n > 0);
  return s.padStart(width, "0");
}

/**
 * Synapse's token shape `syt_<b64 localpart>_<20 random>_<crc>`: reverse proxies
 * that pin /sync to a worker by user read the localpart out of it.
 */
export function generateToken(prefix: "syt" | "syr", localpart: string): string {
  // Standard alphabet, unpadded, as Synapse: base64url's "_" would split the token's fields.
  const b64 = Buffer.from(localpart, "utf8").toString("base64").replace(/=+$/, "");
  const base = `${prefix}_${b64}_${randomString(20)}`;
  return `${base}_${tokenChecksum(base)}`;
}

function tokenChecksum(base: string): string {
  return base62(Bun.hash.crc32(base) >>> 0, 6);
}

/** Whether `token` has the shape generateToken gives, checksum included (a cheap filter before any lookup). */
export function isWellFormedToken(token: string, prefix: "syt" | "syr"): boolean {
  const parts = token.split("_");
  if (parts.length !== 4 || parts[0] !== prefix) return false;
  return tokenChecksum(parts.slice(0, 3).join("_")) === parts[3];
}

/** Tokens are stored only as this hash. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  if (ab.length !== bb.length) {
    // Still spend the comparison so timing does not reveal the length match.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

export function generateDeviceId(): string {
  return randomString(10).toUpperCase();
}
