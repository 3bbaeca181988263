import type { Clock } from "../observability/clock.ts";
import type { RegistrationTokensStore } from "../storage/stores/registration-tokens.ts";
import { SESSION_REGISTRATION_TOKEN } from "../storage/stores/ui-auth-sessions.ts";
import { invalidParam } from "../http/errors.ts";
import { StageFailed, type StageChecker } from "./uia.ts";
import { parseLoginIdentifier } from "./login-identifier.ts";
import type { PasswordAuthenticator } from "./password-auth.ts";

export const LOGIN_DUMMY = "m.login.dummy";
export const LOGIN_PASSWORD = "m.login.password";
export const LOGIN_REGISTRATION_TOKEN = "m.login.registration_token";

export const dummyStage: StageChecker = async () => true;

/** m.login.password: the result is the canonical id of the user whose password was given. */
export function passwordStage(serverName: string, passwords: PasswordAuthenticator): StageChecker {
  return async (auth) => {
    if (typeof auth.password !== "string") throw invalidParam("Bad parameter: password");
    const identifier = parseLoginIdentifier(auth, serverName);
    if (identifier.kind !== "user") throw new StageFailed(403, "M_FORBIDDEN", "Invalid username or password");
    const userId = await passwords.check(identifier.userId, auth.password);
    if (!userId) throw new StageFailed(403, "M_FORBIDDEN", "Invalid username or password");
    return userId;
  };
}

/**
 * m.login.registration_token: a valid token holds one of its uses for the
 * session until the registration completes (or the session expires).
 */
export function registrationTokenStage(
  clock: Clock,
  tokens: RegistrationTokensStore,
  setData: (sessionId: string, values: Record<string, unknown>) => Promise<void>,
): StageChecker {
  return async (auth, ctx) => {
    if (auth.token === undefined) throw new StageFailed(400, "M_MISSING_PARAM", "Missing registration token");
    if (typeof auth.token !== "string") throw new StageFailed(400, "M_INVALID_PARAM", "Registration token must be a string");
    const held = ctx.sessionData[SESSION_REGISTRATION_TOKEN];
    if (typeof held === "string") {
      if (held !== auth.token) throw new StageFailed(400, "M_INVALID_PARAM", "Registration token has changed");
      return held;
    }
    if (auth.token.length > 64 || !(await tokens.reserve(auth.token, clock.now()))) {
      throw new StageFailed(401, "M_UNAUTHORIZED", "Invalid registration token");
    }
    await setData(ctx.sessionId, { [SESSION_REGISTRATION_TOKEN]: auth.token });
    return auth.token;
  };
}
