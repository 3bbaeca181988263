import { createHmac, randomBytes, randomInt } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { getLogger } from "@logtape/logtape";
import type { HomeserverConfig } from "../config/load.ts";

const SECRET_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:^&*-_+=#~@";
const SECRET_LENGTH = 50;

/** A fresh secret in Synapse's shape: 50 characters from 0-9 a-z A-Z and .,;:^&*-_+=#~@ */
export function generateSharedSecret(): string {
  let out = "";
  for (let i = 0; i < SECRET_LENGTH; i++) out += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
  return out;
}

/**
 * The registration shared secret: inline, or read (trimmed) from
 * `registration_shared_secret_path`. A missing file is created with a fresh
 * secret and a WARN, because a secret file provisioned after start-up would
 * otherwise silently disagree with the one the server invented.
 */
export function loadRegistrationSharedSecret(config: HomeserverConfig): string | undefined {
  const log = getLogger(["hearth", "accounts", "shared_secret"]);
  const inline = config.registration_shared_secret;
  const path = config.registration_shared_secret_path;
  if (inline && path) {
    throw new Error(
      "You have configured both `registration_shared_secret` and `registration_shared_secret_path`. These are mutually incompatible.",
    );
  }
  if (inline) return inline;
  if (!path) return undefined;
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${generateSharedSecret()}\n`, { mode: 0o600 });
    log.warn(
      "registration_shared_secret_path {path} did not exist, so a new registration shared secret was generated there. " +
        "If the file was meant to be provisioned by your deployment, it arrived too late: restart after it is in place.",
      { path },
    );
  }
  const secret = readFileSync(path, "utf8").trim();
  if (!secret) {
    log.warn("registration_shared_secret_path {path} is empty: shared-secret registration is disabled", { path });
    return undefined;
  }
  return secret;
}

/**
 * The hex HMAC-SHA1, keyed with the secret, of
 * nonce NUL username NUL password NUL ("admin" | "notadmin") [NUL user_type].
 */
export function registrationMac(
  secret: string,
  fields: { nonce: string; username: string; password: string; admin: boolean; userType?: string | null },
): string {
  const parts = [fields.nonce, fields.username, fields.password, fields.admin ? "admin" : "notadmin"];
  if (typeof fields.userType === "string" && fields.userType !== "") parts.push(fields.userType);
  return createHmac("sha1", Buffer.from(secret, "utf8")).update(Buffer.from(parts.join("\u0000"), "utf8")).digest("hex");
}

/** 64 random bytes as 128 lowercase hex characters. */
export function generateNonce(): string {
  return randomBytes(64).toString("hex");
}
