/** Passwords longer than this are refused at registration and never match at login (Synapse's limit). */
export const MAX_PASSWORD_LENGTH = 512;

/** bcrypt reads only this many bytes; Synapse truncates, where Bun would pre-hash a longer input. */
const BCRYPT_MAX_BYTES = 72;

/**
 * Hashes and checks passwords as Synapse does: the password is NFKC-normalised
 * and `password_config.pepper` appended before hashing. New hashes are
 * argon2id; bcrypt hashes imported from Synapse keep verifying.
 */
export class PasswordHasher {
  constructor(private readonly pepper = "") {}

  hash(password: string): Promise<string> {
    return Bun.password.hash(this.#input(password), { algorithm: "argon2id" });
  }

  /** A missing or unreadable hash never matches. */
  async verify(password: string, hash: string | null): Promise<boolean> {
    if (!hash || password.length > MAX_PASSWORD_LENGTH) return false;
    const input = this.#input(password);
    try {
      if (/^\$2[abxy]?\$/.test(hash)) return await Bun.password.verify(new TextEncoder().encode(input).subarray(0, BCRYPT_MAX_BYTES), hash);
      if (await Bun.password.verify(input, hash)) return true;
      // Argon2 hashes made before passwords were normalised hold the raw form.
      const raw = password + this.pepper;
      return raw !== input && (await Bun.password.verify(raw, hash));
    } catch {
      return false;
    }
  }

  #input(password: string): string {
    return password.normalize("NFKC") + this.pepper;
  }
}

const unpeppered = new PasswordHasher();

/** Hashes without a pepper; prefer the homeserver's `accounts.hasher`, which applies `password_config.pepper`. */
export function hashPassword(password: string): Promise<string> {
  return unpeppered.hash(password);
}

/** Verifies without a pepper; see hashPassword. */
export function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  return unpeppered.verify(password, hash);
}
