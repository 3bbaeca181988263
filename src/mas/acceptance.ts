import type { IntrospectionResult } from "./introspection.ts";

export const STABLE_API_SCOPE = "urn:matrix:client:api:*";
export const UNSTABLE_API_SCOPE = "urn:matrix:org.matrix.msc2967.client:api:*";
export const ADMIN_SCOPE = "urn:synapse:admin:*";
const DEVICE_SCOPE_PREFIXES = ["urn:matrix:client:device:", "urn:matrix:org.matrix.msc2967.client:device:"];

export type Acceptance =
  | { ok: true; localpart: string; userId: string; deviceId: string | null; scopes: Set<string>; isAdmin: boolean }
  | {
      ok: false;
      /**
       * inactive / expired / no_api_scope: the client's token is no good (401).
       * misconfigured: MAS said something this server cannot map, a server
       * problem that Synapse answers with 500; Hearth logs it and answers 401.
       */
      reason: "inactive" | "expired" | "no_api_scope" | "misconfigured";
      detail: string;
    };

export function parseScopes(scope: string | undefined): Set<string> {
  return new Set((scope ?? "").split(" ").filter((s) => s !== ""));
}

/**
 * Synapse's acceptance rules for an introspection answer, applied on every
 * use of the token, cached or fresh. Pure: the caller checks that the user
 * and device exist.
 */
export function acceptIntrospection(r: IntrospectionResult, nowMs: number, serverName: string): Acceptance {
  if (!r.active) return { ok: false, reason: "inactive", detail: "MAS says the token is not active" };
  if (r.expiresIn !== undefined && nowMs >= r.retrievedAtMs + r.expiresIn * 1000) {
    return { ok: false, reason: "expired", detail: "the token's expires_in has passed" };
  }
  const scopes = parseScopes(r.scope);
  if (!scopes.has(STABLE_API_SCOPE) && !scopes.has(UNSTABLE_API_SCOPE)) {
    return { ok: false, reason: "no_api_scope", detail: "the token has no Matrix client API scope" };
  }
  if (r.username === undefined) {
    return { ok: false, reason: "misconfigured", detail: "Invalid username claim in the introspection result" };
  }
  let deviceId: string | null = null;
  if (r.deviceId !== undefined) {
    deviceId = r.deviceId;
  } else {
    const fromScopes = new Set<string>();
    for (const s of scopes) {
      const prefix = DEVICE_SCOPE_PREFIXES.find((p) => s.startsWith(p));
      if (prefix) fromScopes.add(s.slice(prefix.length));
    }
    if (fromScopes.size > 1) return { ok: false, reason: "misconfigured", detail: "Multiple device IDs in scope" };
    deviceId = fromScopes.size === 1 ? [...fromScopes][0]! : null;
  }
  if (deviceId !== null && (deviceId.length < 1 || deviceId.length > 255)) {
    return { ok: false, reason: "misconfigured", detail: "Invalid device ID in introspection result" };
  }
  return {
    ok: true,
    localpart: r.username,
    userId: `@${r.username}:${serverName}`,
    deviceId,
    scopes,
    isAdmin: scopes.has(ADMIN_SCOPE),
  };
}
