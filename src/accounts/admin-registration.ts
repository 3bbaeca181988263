import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";
import { normaliseCategory, type LoggingSetup } from "../observability/logging.ts";
import { MatrixError } from "../http/errors.ts";
import { constantTimeEqual } from "../auth/tokens.ts";
import { generateNonce, registrationMac } from "./shared-secret.ts";
import { MAX_PASSWORD_LENGTH, PasswordHasher } from "./passwords.ts";
import { KNOWN_USER_TYPES, type RegistrationService } from "./registration.ts";
import type { SessionService } from "./sessions.ts";
import { MAX_USERNAME_INPUT } from "./usernames.ts";
import { readLoginParams, registrationResponse } from "./registration-flow.ts";

/**
 * Logger categories for the sensitive HMAC details, only ever used when one is
 * configured explicitly: Hearth's name, and Synapse's as a log_config carried
 * over from Synapse spells it (normalised to hearth.rest.admin.users.registration_debug).
 */
export const REGISTRATION_DEBUG_CATEGORIES = ["hearth.registration_debug", "synapse.rest.admin.users.registration_debug"] as const;
const NONCE_LIFETIME_S = 60;
const MAX_NONCES = 10_000;

const log = getLogger(["hearth", "admin", "users"]);

const unknown = (msg: string) => new MatrixError(400, "M_UNKNOWN", msg);
const badJson = (msg: string) => new MatrixError(400, "M_BAD_JSON", msg);

/** Python's truthiness, which Synapse applies to `admin`: empty strings, lists and objects are false. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object" && v !== null) return Object.keys(v).length > 0;
  return Boolean(v);
}

const validText = (v: unknown): v is string => typeof v === "string" && v.length <= MAX_USERNAME_INPUT && !v.includes("\u0000");

/**
 * Synapse's shared-secret registration (`/_synapse/admin/v1/register`):
 * single-use nonces kept in memory for 60 seconds, and an HMAC over the
 * request keyed with the registration shared secret.
 */
export class SharedSecretRegistration {
  /** Nonce → the second it was issued; Map order is issue order. */
  readonly #nonces = new Map<string, number>();

  constructor(
    private readonly deps: {
      serverName: string;
      secret: string | undefined;
      clock: Clock;
      logging: LoggingSetup;
      registration: RegistrationService;
      sessions: SessionService;
      hasher?: PasswordHasher;
      /** Types a registration may carry (support, bot and `user_types.extra_user_types`). */
      userTypes?: readonly string[];
    },
  ) {}

  get enabled(): boolean {
    return this.deps.secret !== undefined;
  }

  newNonce(): string {
    this.expireNonces();
    if (this.#nonces.size >= MAX_NONCES) this.#nonces.delete(this.#nonces.keys().next().value!);
    const nonce = generateNonce();
    this.#nonces.set(nonce, this.#nowS());
    return nonce;
  }

  expireNonces(): void {
    const now = this.#nowS();
    for (const [nonce, issued] of this.#nonces) {
      if (now - issued > NONCE_LIFETIME_S) this.#nonces.delete(nonce);
    }
  }

  assertEnabled(): void {
    if (!this.enabled) throw unknown("Shared secret registration is not enabled");
  }

  /** The checks of the behaviour spec §4.3, in its order; the first failure wins. */
  async register(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const secret = this.deps.secret;
    if (secret === undefined) throw unknown("Shared secret registration is not enabled");
    if (body.nonce === undefined) throw badJson("nonce must be specified");
    const nonce = body.nonce;
    if (typeof nonce !== "string" || !this.#nonces.has(nonce)) throw unknown("unrecognised nonce");
    // Consumed before anything else is checked, so a failing request cannot be replayed either.
    this.#nonces.delete(nonce);

    if (body.username === undefined) throw badJson("username must be specified");
    const username = body.username;
    if (!validText(username)) throw unknown("Invalid username");
    if (body.password === undefined) throw badJson("password must be specified");
    const password = body.password;
    if (!validText(password) || password.length > MAX_PASSWORD_LENGTH) throw unknown("Invalid password");
    const admin = truthy(body.admin);
    const userType = body.user_type ?? null;
    const userTypes = this.deps.userTypes ?? KNOWN_USER_TYPES;
    if (userType !== null && (typeof userType !== "string" || !userTypes.includes(userType))) throw unknown("Invalid user type");
    const displayName = body.displayname ?? null;
    if (displayName !== null && typeof displayName !== "string") throw unknown("Invalid displayname");
    if (body.mac === undefined) throw badJson("mac must be specified");

    const expected = registrationMac(secret, { nonce, username, password, admin, userType });
    const actual = body.mac;
    if (typeof actual !== "string" || !constantTimeEqual(actual, expected)) {
      this.#logMismatch({ nonce, username, password, secret, admin, userType, actual, expected });
      throw new MatrixError(403, "M_UNKNOWN", "HMAC incorrect");
    }
    if (body.refresh_token !== undefined && typeof body.refresh_token !== "boolean") throw unknown("refresh_token must be a boolean");
    const login = readLoginParams(body);

    const userId = await this.deps.registration.register({
      localpart: username.toLowerCase(),
      passwordHash: await (this.deps.hasher ?? new PasswordHasher()).hash(password),
      admin,
      userType,
      displayName,
    });
    const session = login.inhibitLogin
      ? undefined
      : await this.deps.sessions.create(userId, {
          deviceId: login.deviceId,
          initialDisplayName: login.initialDisplayName,
          refreshable: body.refresh_token === true,
        });
    return registrationResponse(userId, this.deps.serverName, session);
  }

  #logMismatch(d: {
    nonce: string;
    username: string;
    password: string;
    secret: string;
    admin: boolean;
    userType: string | null;
    actual: unknown;
    expected: string;
  }): void {
    const actual = typeof d.actual === "string" ? d.actual.slice(0, 200) : `(${typeof d.actual})`;
    // The detailed line must not inherit DEBUG from "hearth": only an explicit setting for the category enables it.
    const category = REGISTRATION_DEBUG_CATEGORIES.find((c) => this.deps.logging.isExplicitlyConfigured(c));
    if (category) {
      // Logged under the configured name, so that name's level applies.
      getLogger(normaliseCategory(category)).debug(
        "UserRegisterServlet: Incorrect HMAC digest: nonce={nonce}, actual={actual}, expected={expected}, " +
          "username length={usernameLength}, password length={passwordLength}, shared secret length={secretLength}, admin={admin}, user_type={userType}",
        {
          nonce: d.nonce,
          actual,
          expected: d.expected,
          usernameLength: d.username.length,
          passwordLength: d.password.length,
          secretLength: d.secret.length,
          admin: d.admin,
          userType: d.userType,
        },
      );
      return;
    }
    log.debug(
      "UserRegisterServlet: HMAC incorrect (username={username}) - If you need more information, explicitly enable the " +
        "`hearth.registration_debug` logger (`synapse.rest.admin.users.registration_debug` in a Synapse log config) " +
        "at the `DEBUG` level to log the nonce, both MACs and the lengths of the inputs.",
      { username: d.username.slice(0, 300) },
    );
  }

  #nowS(): number {
    return Math.floor(this.deps.clock.now() / 1000);
  }
}
