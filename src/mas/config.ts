import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError, type HomeserverConfig } from "../config/load.ts";

/** What the homeserver needs to talk to MAS, derived once from the validated config. */
export interface MasSettings {
  /** The endpoint without a trailing slash; the derived URLs append to it. */
  endpoint: string;
  introspectionUrl: string;
  metadataUrl: string;
  secret: string;
  forceHttp2: boolean;
}

const SECTION = "matrix_authentication_service";
type Doc = Record<string, unknown>;

/**
 * Checks the `matrix_authentication_service` section and, when it is enabled,
 * every setting that contradicts delegated auth (Synapse's list). `document`
 * is the YAML as written: keys Hearth does not know never reach the typed
 * config, but a `session_lifetime` left over from Synapse must still fail.
 */
export function validateMasConfig(config: HomeserverConfig, document: Doc = config as unknown as Doc): void {
  const experimental = asDoc(document.experimental_features);
  if (isNonEmpty(experimental.msc3861)) {
    fail(
      "experimental_features.msc3861",
      "experimental_features.msc3861 was removed. Use the matrix_authentication_service configuration instead.",
    );
  }
  const mas = config.matrix_authentication_service;
  const enabled = mas?.enabled === true;
  if (mas) {
    if (!parseHttpUrl(mas.endpoint)) {
      fail(SECTION, `Could not validate Matrix Authentication Service configuration: endpoint: expected an http(s) URL, got ${JSON.stringify(mas.endpoint)}`);
    }
    if (mas.secret_path && !existsSync(secretPath(config))) {
      fail(`${SECTION}.secret_path`, `Could not validate Matrix Authentication Service configuration: the file ${secretPath(config)} does not exist`);
    }
    if (enabled && !mas.secret && !mas.secret_path) {
      fail(SECTION, "You must set a `secret` or `secret_path` when enabling Matrix Authentication Service integration.");
    }
    if (enabled && mas.secret && mas.secret_path) {
      fail(SECTION, "`secret` and `secret_path` cannot be set at the same time.");
    }
  }
  if (!enabled) {
    for (const flag of ["msc4108_enabled", "msc4108_delegation_endpoint"]) {
      if (truthy(experimental[flag])) {
        fail(`experimental_features.${flag}`, "MSC4108 (login with a QR code) needs matrix_authentication_service to be enabled");
      }
    }
    return;
  }
  const conflict = findConflict(document);
  if (conflict) fail(conflict.key, `${conflict.what} when authentication is delegated to the Matrix Authentication Service (${SECTION}.enabled)`);
  // The secret file must hold something; reading it here makes a bad file a start-up error.
  readSecret(config);
}

/** The MAS settings when delegation is on, undefined otherwise. Reads `secret_path` (trimmed). */
export function masSettings(config: HomeserverConfig): MasSettings | undefined {
  const mas = config.matrix_authentication_service;
  if (!mas?.enabled) return undefined;
  const endpoint = masEndpoint(mas.endpoint);
  return {
    endpoint,
    introspectionUrl: `${endpoint}/oauth2/introspect`,
    metadataUrl: `${endpoint}/.well-known/openid-configuration`,
    secret: readSecret(config),
    forceHttp2: mas.force_http2,
  };
}

/** Normalises the endpoint (a bare host gains "/") and drops the trailing slash, keeping any sub-path. */
export function masEndpoint(endpoint: string): string {
  const url = parseHttpUrl(endpoint);
  if (!url) throw new ConfigError(`config error: ${SECTION}.endpoint: expected an http(s) URL`);
  return url.href.replace(/\/+$/, "");
}

function findConflict(doc: Doc): { key: string; what: string } | undefined {
  const section = (k: string) => asDoc(doc[k]);
  if (truthy(section("password_config").enabled)) {
    return { key: "password_config.enabled", what: "Password auth cannot be enabled" };
  }
  if (doc.enable_registration === true) return { key: "enable_registration", what: "Registration cannot be enabled" };
  if (doc.user_consent !== undefined && doc.user_consent !== null) {
    return { key: "user_consent", what: "User consent cannot be enabled" };
  }
  const sso = ssoKey(doc);
  if (sso) return { key: sso, what: "SSO cannot be enabled" };
  if (Array.isArray(doc.password_providers) && doc.password_providers.length > 0) {
    return { key: "password_providers", what: "Password auth providers cannot be enabled" };
  }
  // Synapse reads the captcha flag at the top level (its "captcha" config section).
  if (doc.enable_registration_captcha === true) {
    return { key: "enable_registration_captcha", what: "CAPTCHA cannot be enabled" };
  }
  if (truthy(section("login_via_existing_session").enabled)) {
    return { key: "login_via_existing_session.enabled", what: "Login via existing session cannot be enabled" };
  }
  for (const key of ["refresh_token_lifetime", "nonrefreshable_access_token_lifetime", "session_lifetime"]) {
    if (truthy(doc[key])) return { key, what: `${key} cannot be set` };
  }
  if (doc.enable_3pid_changes === true) return { key: "enable_3pid_changes", what: "enable_3pid_changes cannot be enabled" };
  return undefined;
}

/** The first enabled single-sign-on method, as Synapse decides each is on. */
function ssoKey(doc: Doc): string | undefined {
  const providers = Array.isArray(doc.oidc_providers) ? doc.oidc_providers : [];
  if (providers.some((p) => asDoc(p).enabled !== false)) return "oidc_providers";
  if (truthy(asDoc(doc.oidc_config).enabled)) return "oidc_config";
  const saml = asDoc(doc.saml2_config);
  if (doc.saml2_config && saml.enabled !== false && (saml.sp_config || saml.config_path)) return "saml2_config";
  if (doc.cas_config && asDoc(doc.cas_config).enabled !== false) return "cas_config";
  if (truthy(asDoc(doc.jwt_config).enabled)) return "jwt_config";
  return undefined;
}

function secretPath(config: HomeserverConfig): string {
  const p = config.matrix_authentication_service!.secret_path!;
  if (isAbsolute(p)) return p;
  return resolve(config.configPath ? dirname(config.configPath) : process.cwd(), p);
}

function readSecret(config: HomeserverConfig): string {
  const mas = config.matrix_authentication_service!;
  if (mas.secret) return mas.secret;
  const path = secretPath(config);
  let secret: string;
  try {
    if (!statSync(path).isFile()) throw new Error("not a file");
    secret = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new ConfigError(`config error: ${SECTION}.secret_path: cannot read ${path}: ${(err as Error).message}`);
  }
  if (!secret) throw new ConfigError(`config error: ${SECTION}.secret_path: ${path} is empty`);
  return secret;
}

function parseHttpUrl(s: string): URL | undefined {
  try {
    const url = new URL(s);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname ? url : undefined;
  } catch {
    return undefined;
  }
}

function fail(key: string, message: string): never {
  throw new ConfigError(`config error: ${key}: ${message}`);
}

function asDoc(v: unknown): Doc {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Doc) : {};
}

function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== "";
}

function isNonEmpty(v: unknown): boolean {
  if (typeof v === "object" && v !== null) return Object.keys(v).length > 0;
  return truthy(v);
}
