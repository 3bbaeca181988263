import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { formatSigningKeyFile, generateSigningKey, parseSigningKeyFile, type SigningKey } from "../matrix/signing.ts";

/**
 * Reads the server's ed25519 key in Synapse's file format (so a Synapse key can
 * be reused), generating one when the file is missing. Returns whether it was created.
 */
export function loadOrCreateSigningKey(path: string): { key: SigningKey; created: boolean } {
  if (existsSync(path)) {
    const keys = parseSigningKeyFile(readFileSync(path, "utf8"));
    if (keys.length === 0) throw new Error(`signing key file ${path} holds no ed25519 key`);
    return { key: keys[0]!, created: false };
  }
  const key = generateSigningKey();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatSigningKeyFile([key]), { mode: 0o600 });
  return { key, created: true };
}
