import { randomBytes } from "node:crypto";
import type { RegistrationTokenRow } from "../storage/stores/registration-tokens.ts";

/** The characters a registration token may contain (Synapse's set). */
export const REGISTRATION_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-";
export const MAX_REGISTRATION_TOKEN_LENGTH = 64;
const VALID = /^[A-Za-z0-9._~-]+$/;

export function isValidRegistrationToken(token: string): boolean {
  return token.length > 0 && token.length <= MAX_REGISTRATION_TOKEN_LENGTH && VALID.test(token);
}

/** A random token of `length` characters, each equally likely. */
export function generateRegistrationToken(length: number): string {
  const n = REGISTRATION_TOKEN_CHARS.length;
  const limit = 256 - (256 % n);
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit && out.length < length) out += REGISTRATION_TOKEN_CHARS[b % n];
    }
  }
  return out;
}

export function registrationTokenView(r: RegistrationTokenRow): Record<string, unknown> {
  return { token: r.token, uses_allowed: r.usesAllowed, pending: r.pending, completed: r.completed, expiry_time: r.expiryTime };
}
