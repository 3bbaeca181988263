// docs/usage/administration/admin_api/registration_tokens.md. Tokens are secrets: the
// audit line names the action only.
import type { Services } from "../../services.ts";
import { MatrixError, notFound } from "../../http/errors.ts";
import { readJsonObject } from "../../http/body.ts";
import type { AdminRoute } from "./access.ts";
import { boolParam } from "./params.ts";
import type { AdminRegistrationTokensStore } from "../../storage/stores/admin-registration-tokens.ts";
import {
  MAX_REGISTRATION_TOKEN_LENGTH,
  generateRegistrationToken,
  isValidRegistrationToken,
  registrationTokenView,
} from "../../admin/registration-tokens.ts";

const bad = (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg);
const noSuchToken = (token: string) => notFound(`No such registration token: ${token}`);

export function registerAdminRegistrationTokenRoutes(route: AdminRoute, services: Services, store: AdminRegistrationTokensStore): void {
  const tokens = services.stores.registrationTokens;
  const now = () => services.clock.now();

  route("GET", "/v1/registration_tokens", "admin_registration_tokens_list", async (c) => {
    const rows = await store.list(boolParam(c, "valid"), now());
    return c.json({ registration_tokens: rows.map(registrationTokenView) });
  });

  route("POST", "/v1/registration_tokens/new", "admin_registration_token_create", async (c) => {
    const body = await readJsonObject(c, { allowEmpty: true });
    let token: string | undefined;
    if ("token" in body) {
      if (typeof body.token !== "string") throw bad("token must be a string");
      if (body.token.length === 0 || body.token.length > MAX_REGISTRATION_TOKEN_LENGTH) {
        throw bad("token must not be empty and must not be longer than 64 characters");
      }
      if (!isValidRegistrationToken(body.token)) throw bad("token must consist only of characters matched by the regex [A-Za-z0-9._~-]");
      token = body.token;
    }
    const length = body.length ?? 16;
    if (token === undefined) {
      if (typeof length !== "number" || !Number.isInteger(length)) throw bad("length must be an integer");
      if (length <= 0 || length > MAX_REGISTRATION_TOKEN_LENGTH) throw bad("length must be greater than zero and not greater than 64");
    }
    const usesAllowed = checkUsesAllowed(body.uses_allowed ?? null);
    const expiryTime = checkExpiry(body.expiry_time ?? null, now());
    if (token !== undefined) {
      if (!(await tokens.create({ token, usesAllowed, expiryTime }))) throw bad(`Token already exists: ${token}`);
    } else {
      // A collision of random tokens is astronomically unlikely at 16 characters, possible at 1.
      for (let attempt = 0; ; attempt++) {
        const candidate = generateRegistrationToken(length as number);
        if (await tokens.create({ token: candidate, usesAllowed, expiryTime })) {
          token = candidate;
          break;
        }
        if (attempt >= 20) throw new MatrixError(500, "M_UNKNOWN", "Could not generate a unique token");
      }
    }
    return c.json({ token, uses_allowed: usesAllowed, pending: 0, completed: 0, expiry_time: expiryTime });
  });

  route("GET", "/v1/registration_tokens/:token", "admin_registration_token_get", async (c) => {
    const row = await tokens.get(c.req.param("token") ?? "");
    if (!row) throw noSuchToken(c.req.param("token") ?? "");
    return c.json(registrationTokenView(row));
  });

  route("PUT", "/v1/registration_tokens/:token", "admin_registration_token_update", async (c) => {
    const body = await readJsonObject(c);
    const fields: { usesAllowed?: number | null; expiryTime?: number | null } = {};
    if ("uses_allowed" in body) fields.usesAllowed = checkUsesAllowed(body.uses_allowed);
    if ("expiry_time" in body) fields.expiryTime = checkExpiry(body.expiry_time, now());
    const row = await store.update(c.req.param("token") ?? "", fields);
    if (!row) throw noSuchToken(c.req.param("token") ?? "");
    return c.json(registrationTokenView(row));
  });

  route("DELETE", "/v1/registration_tokens/:token", "admin_registration_token_delete", async (c) => {
    if (!(await store.delete(c.req.param("token") ?? ""))) throw noSuchToken(c.req.param("token") ?? "");
    return c.json({});
  });
}

function checkUsesAllowed(v: unknown): number | null {
  if (v === null) return null;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw bad("uses_allowed must be a non-negative integer or null");
  return v;
}

function checkExpiry(v: unknown, nowMs: number): number | null {
  if (v === null) return null;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw bad("expiry_time must be an integer or null");
  if (v < nowMs) throw bad("expiry_time must not be in the past");
  return v;
}
