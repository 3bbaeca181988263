import type { Ratelimiter } from "../ratelimit/limiter.ts";
import { MatrixError, invalidParam } from "../http/errors.ts";
import { parseLoginIdentifier } from "./login-identifier.ts";
import type { PasswordAuthenticator } from "./password-auth.ts";
import type { IssuedSession, SessionRequest, SessionService } from "./sessions.ts";
import type { PasswordSettings } from "./account-config.ts";

export const INVALID_USERNAME_OR_PASSWORD = "Invalid username or password";

export interface LoginLimiters {
  /** rc_login.address, keyed by client IP: every attempt. */
  address: Ratelimiter;
  /** rc_login.account, keyed by the lowercased user id: successful logins. */
  account: Ratelimiter;
  /** rc_login.failed_attempts, keyed by the lowercased user id: wrong passwords. */
  failedAttempts: Ratelimiter;
}

export interface LoginOutcome {
  userId: string;
  session: IssuedSession;
}

const forbidden = () => new MatrixError(403, "M_FORBIDDEN", INVALID_USERNAME_OR_PASSWORD);

/** `POST /login` with m.login.password, with Synapse's rate limits in Synapse's order. */
export class LoginService {
  constructor(
    private readonly serverName: string,
    private readonly passwords: PasswordAuthenticator,
    private readonly limiters: LoginLimiters,
    private readonly sessions: SessionService,
    private readonly settings: Pick<PasswordSettings, "login" | "localdb"> = { login: true, localdb: true },
  ) {}

  /** Whether `m.login.password` is offered at /login (`password_config.enabled` and `localdb_enabled`). */
  get passwordLoginEnabled(): boolean {
    return this.settings.login && this.settings.localdb;
  }

  /** Counts one login attempt from `ip`; throws 429 when there were too many. */
  ratelimitAddress(ip: string): void {
    this.limiters.address.ratelimit({ key: ip });
  }

  async loginWithPassword(submission: Record<string, unknown>, session: SessionRequest): Promise<LoginOutcome> {
    const password = submission.password;
    // Synapse's order and messages: disabled, then the password's type, then whether anything checks passwords.
    if (!this.settings.login) throw new MatrixError(400, "M_UNKNOWN", "Password login has been disabled.");
    if (typeof password !== "string") throw invalidParam("Bad parameter: password");
    const identifier = parseLoginIdentifier(submission, this.serverName);
    if (identifier.kind === "thirdparty") {
      // No third-party identifiers are stored here, so none can log in; still count the failure.
      const key = `${identifier.medium}:${identifier.address}`.slice(0, 512);
      this.limiters.failedAttempts.ratelimit({ key, update: false });
      this.limiters.failedAttempts.canDoAction({ key });
      throw forbidden();
    }
    if (!this.settings.localdb) throw new MatrixError(400, "M_UNKNOWN", "Unknown login type m.login.password");
    const key = identifier.userId.toLowerCase().slice(0, 512);
    // A locked-out account is refused even with the right password.
    this.limiters.failedAttempts.ratelimit({ key, update: false });

    const user = await this.passwords.findUser(identifier.userId);
    if (user?.deactivated) throw new MatrixError(403, "M_USER_DEACTIVATED", "This account has been deactivated");
    const userId = await this.passwords.verify(user, password, identifier.userId);
    if (!userId) {
      this.limiters.failedAttempts.canDoAction({ key });
      throw forbidden();
    }
    this.limiters.account.ratelimit({ key: userId.toLowerCase() });
    if (user?.locked) throw new MatrixError(401, "M_USER_LOCKED", "User account has been locked", { soft_logout: true });
    return { userId, session: await this.sessions.create(userId, session) };
  }
}
