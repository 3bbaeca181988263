import type { Clock } from "../observability/clock.ts";
import type { HomeserverConfig } from "../config/load.ts";
import type { Ratelimiter } from "../ratelimit/limiter.ts";
import { MatrixError, forbidden, invalidParam, missingParam, unknownToken } from "../http/errors.ts";
import { registrationTokenUsable, type RegistrationTokensStore } from "../storage/stores/registration-tokens.ts";
import { SESSION_REGISTRATION_TOKEN, SESSION_REGISTRATION_TOKEN_USED } from "../storage/stores/ui-auth-sessions.ts";
import type { Requester } from "../http/context.ts";
import { MAX_PASSWORD_LENGTH, type PasswordHasher } from "./passwords.ts";
import { checkPasswordPolicy, type PasswordPolicy } from "./password-policy.ts";
import type { AvailabilityLimiter } from "./availability-limiter.ts";
import type { RegistrationService } from "./registration.ts";
import { readLoginParams, registrationResponse } from "./registration-flow.ts";
import type { SessionService } from "./sessions.ts";
import { LOGIN_DUMMY, LOGIN_REGISTRATION_TOKEN } from "./uia-stages.ts";
import { UiaIncompleteError, type UserInteractiveAuth } from "./uia.ts";
import { MAX_USERNAME_INPUT } from "./usernames.ts";

const SESSION_PASSWORD_HASH = "password_hash";
const SESSION_REGISTERED_USER_ID = "registered_user_id";
/** The guest a session upgrades, once its `guest_access_token` was checked (the token itself is never stored). */
const SESSION_GUEST_USER_ID = "guest_user_id";

export interface RegistrationPolicy {
  enabled: boolean;
  /** Why registration is off although enable_registration is set, for a start-up warning. */
  misconfigured?: string;
  flows: string[][];
}

/**
 * The UIA flows for /register. Hearth has no e-mail, phone or captcha stages,
 * so open registration is `m.login.dummy`, which Synapse only allows with
 * `enable_registration_without_verification`; a registration token counts as
 * verification and is prepended to every flow when required.
 */
export function registrationPolicy(config: HomeserverConfig): RegistrationPolicy {
  if (!config.enable_registration) return { enabled: false, flows: [] };
  const requiresToken = config.registration_requires_token;
  if (!config.enable_registration_without_verification && !requiresToken) {
    return {
      enabled: false,
      flows: [],
      misconfigured:
        "enable_registration is on, but Hearth has no e-mail or captcha verification: set " +
        "enable_registration_without_verification (open registration) or registration_requires_token. Registration stays disabled.",
    };
  }
  return { enabled: true, flows: [requiresToken ? [LOGIN_REGISTRATION_TOKEN, LOGIN_DUMMY] : [LOGIN_DUMMY]] };
}

export interface RegisterRequestInfo {
  kind: string;
  ip: string;
  userAgent: string | null;
  hasAccessToken: boolean;
  uri: string;
  method: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Client-API registration: `POST /register` with UIA, guests, and the checks around it. */
export class ClientRegistration {
  constructor(
    private readonly deps: {
      serverName: string;
      clock: Clock;
      policy: RegistrationPolicy;
      allowGuests: boolean;
      uia: UserInteractiveAuth;
      registration: RegistrationService;
      sessions: SessionService;
      registrationTokens: RegistrationTokensStore;
      /** rc_registration */
      limiter: Ratelimiter;
      /** rc_registration_token_validity */
      tokenValidityLimiter: Ratelimiter;
      /** `GET /register/available`'s own per-IP limit. */
      availabilityLimiter: AvailabilityLimiter;
      hasher: PasswordHasher;
      passwordPolicy: PasswordPolicy | undefined;
      inhibitUserInUseError: boolean;
      /** Resolves a `guest_access_token` (401 M_UNKNOWN_TOKEN when it is not valid). */
      resolveToken: (token: string) => Promise<Requester>;
    },
  ) {}

  async register(body: Record<string, unknown>, req: RegisterRequestInfo): Promise<Record<string, unknown>> {
    const { uia, registration, policy } = this.deps;
    // Only completed registrations consume the limit; every attempt is refused once it is exhausted.
    this.deps.limiter.ratelimit({ key: req.ip, update: false });
    if (req.kind === "guest") return this.#registerGuest(body, req);
    if (req.kind !== "user") throw new MatrixError(400, "M_UNRECOGNIZED", `Do not understand membership kind: ${req.kind.slice(0, 100)}`);

    const refreshable = body.refresh_token ?? false;
    if (typeof refreshable !== "boolean") throw invalidParam("Invalid parameter refresh_token: expected true or false");
    let desired: string | undefined;
    if (body.username !== undefined && body.username !== null) {
      if (typeof body.username !== "string" || body.username.length > MAX_USERNAME_INPUT) throw invalidParam("Invalid username");
      desired = body.username.toLowerCase();
    }
    if (body.type === "m.login.application_service") {
      if (!req.hasAccessToken) throw new MatrixError(400, "M_MISSING_TOKEN", "Appservice token must be provided when using a type of m.login.application_service");
      throw unknownToken("Application service registration is not supported yet");
    }
    if (req.hasAccessToken) {
      throw new MatrixError(400, "M_UNKNOWN", "An access token should not be provided on requests to /register (except if type is m.login.application_service)");
    }
    if (!policy.enabled) throw forbidden("Registration has been disabled");

    // The password never enters the stored session parameters; only its hash goes into the session data.
    // Nor does a guest's token: the guest's user id, once checked, does.
    const { auth, password, guest_access_token: guestToken, ...clientdict } = body;
    if (password !== undefined && password !== null && (typeof password !== "string" || password.length > MAX_PASSWORD_LENGTH)) {
      throw invalidParam("Invalid password");
    }
    if (typeof password === "string") checkPasswordPolicy(password, this.deps.passwordPolicy);
    let guestUserId = guestToken !== undefined && guestToken !== null ? await this.#guestOf(guestToken) : undefined;
    // Some clients send the device name alone later, which would wipe the remembered parameters.
    if (password === undefined && "initial_device_display_name" in clientdict) delete clientdict.initial_device_display_name;
    readLoginParams(clientdict);

    const sessionId = isObject(auth) && typeof auth.session === "string" ? auth.session : undefined;
    const data = sessionId ? await uia.getSessionData(sessionId) : {};
    const registeredUserId = typeof data[SESSION_REGISTERED_USER_ID] === "string" ? (data[SESSION_REGISTERED_USER_ID] as string) : undefined;
    const storedHash = typeof data[SESSION_PASSWORD_HASH] === "string" ? (data[SESSION_PASSWORD_HASH] as string) : undefined;
    guestUserId ??= typeof data[SESSION_GUEST_USER_ID] === "string" ? (data[SESSION_GUEST_USER_ID] as string) : undefined;
    if (guestUserId !== undefined) {
      // An upgrade keeps the guest's user id; naming another one is refused (as Synapse ends up doing).
      desired ??= guestUserId.slice(1, guestUserId.indexOf(":"));
      if (registration.userIdFor(desired) !== guestUserId) {
        throw new MatrixError(403, "M_FORBIDDEN", "Cannot register taken user ID without valid guest credentials for that user.");
      }
    }
    if (desired !== undefined) {
      await registration.checkUsername(desired, {
        assignedUserId: registeredUserId,
        inhibitUserInUseError: this.deps.inhibitUserInUseError,
        guestUserId,
      });
    }

    let result;
    try {
      result = await uia.check({ flows: policy.flows, auth, clientdict, uri: req.uri, method: req.method, clientIp: req.ip });
    } catch (err) {
      if (err instanceof UiaIncompleteError) {
        const remember: Record<string, unknown> = {};
        if (typeof password === "string" && password && !storedHash) remember[SESSION_PASSWORD_HASH] = await this.deps.hasher.hash(password);
        if (guestUserId !== undefined) remember[SESSION_GUEST_USER_ID] = guestUserId;
        if (Object.keys(remember).length > 0) await uia.setSessionData(err.sessionId, remember);
      }
      throw err;
    }

    let userId = registeredUserId;
    if (userId === undefined) {
      const passwordHash = typeof password === "string" && password ? await this.deps.hasher.hash(password) : storedHash;
      if (!passwordHash) throw new MatrixError(400, "M_MISSING_PARAM", "Missing params: password");
      const username = result.params.username;
      if (guestUserId !== undefined) {
        await registration.upgradeGuest(guestUserId, passwordHash, req.ip);
        userId = guestUserId;
      } else {
        userId = await registration.register({
          localpart: typeof username === "string" ? username.toLowerCase() : undefined,
          passwordHash,
          address: req.ip,
        });
      }
      await uia.setSessionData(result.sessionId, { [SESSION_REGISTERED_USER_ID]: userId });
      const token = (await uia.getSessionData(result.sessionId))[SESSION_REGISTRATION_TOKEN];
      if (typeof token === "string") {
        await this.deps.registrationTokens.complete(token);
        await uia.setSessionData(result.sessionId, { [SESSION_REGISTRATION_TOKEN_USED]: true });
      }
    }

    const login = readLoginParams(result.params);
    const session = login.inhibitLogin
      ? undefined
      : await this.deps.sessions.create(userId, {
          deviceId: login.deviceId,
          initialDisplayName: login.initialDisplayName,
          refreshable,
          ip: req.ip,
          userAgent: req.userAgent,
        });
    return registrationResponse(userId, this.deps.serverName, session);
  }

  async #registerGuest(body: Record<string, unknown>, req: RegisterRequestInfo): Promise<Record<string, unknown>> {
    if (!this.deps.allowGuests) throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled");
    // Every parameter but the device name is ignored for guests (spec).
    const name = body.initial_device_display_name;
    const userId = await this.deps.registration.register({ guest: true, passwordHash: null, address: req.ip });
    const session = await this.deps.sessions.create(userId, {
      initialDisplayName: typeof name === "string" ? name : undefined,
      ip: req.ip,
      userAgent: req.userAgent,
      guest: true,
    });
    return registrationResponse(userId, this.deps.serverName, session);
  }

  /** `GET /register/available`, limited per client IP as in Synapse. */
  async checkAvailable(username: string | undefined, ip: string): Promise<void> {
    if (!this.deps.policy.enabled) throw forbidden("Registration has been disabled");
    // `inhibit_user_in_use_error`: every name looks available, so names cannot be probed here.
    if (this.deps.inhibitUserInUseError) return;
    await this.deps.availabilityLimiter.run(ip, async () => {
      if (username === undefined) throw missingParam("username");
      if (username.length > MAX_USERNAME_INPUT) throw invalidParam("Invalid username");
      await this.deps.registration.checkUsername(username);
    });
  }

  /** The user id of the guest whose token this is; 403 for a full account's token. */
  async #guestOf(token: unknown): Promise<string> {
    if (typeof token !== "string" || token.length > 1024) throw invalidParam("Invalid parameter guest_access_token: expected a string");
    const requester = await this.deps.resolveToken(token);
    if (!requester.isGuest) throw new MatrixError(403, "M_FORBIDDEN", "Cannot register taken user ID without valid guest credentials for that user.");
    return requester.userId;
  }

  /** `GET /_matrix/client/v1/register/m.login.registration_token/validity`. */
  async tokenValid(token: string | undefined, ip: string): Promise<boolean> {
    this.deps.tokenValidityLimiter.ratelimit({ key: ip });
    if (!this.deps.policy.enabled) throw forbidden("Registration has been disabled");
    if (token === undefined) throw missingParam("token");
    if (token.length > 64) return false;
    return registrationTokenUsable(await this.deps.registrationTokens.get(token), this.deps.clock.now());
  }
}
