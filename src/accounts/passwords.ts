/** Passwords longer than this are refused at registration and never match at login (Synapse's limit). */
export const MAX_PASSWORD_LENGTH = 512;

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

/**
 * Checks a password against an argon2 hash, or a bcrypt one imported from
 * Synapse. A missing or unreadable hash never matches.
 */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (!hash || password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    return await Bun.password.verify(password, hash);
  } catch {
    return false;
  }
}
