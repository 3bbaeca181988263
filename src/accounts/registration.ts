import { randomInt } from "node:crypto";
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import type { Ratelimiter } from "../ratelimit/limiter.ts";
import { MatrixError } from "../http/errors.ts";
import { checkLocalpartGrammar, GENERATED_LOCALPART } from "./usernames.ts";
import { Listeners } from "./listeners.ts";

const log = getLogger(["hearth", "accounts", "registration"]);

/** User types Synapse knows without `user_types.extra_user_types`. */
export const KNOWN_USER_TYPES: readonly string[] = ["support", "bot"];

export interface RegisterUserOptions {
  /** Already lowercased; a numeric one is generated when absent. */
  localpart?: string;
  passwordHash: string | null;
  admin?: boolean;
  userType?: string | null;
  guest?: boolean;
  /** Defaults to the localpart; "" registers the user without a display name. */
  displayName?: string | null;
  /** The client's IP: counts against rc_registration. Absent for admin registrations, which are not limited. */
  address?: string;
}

export interface UserRegistered {
  userId: string;
  guest: boolean;
  admin: boolean;
}

export class RegistrationService {
  /** Fired after a user is created (auto-join rooms, user directory...). */
  readonly onUserRegistered = new Listeners<UserRegistered>("user_registered");

  constructor(
    private readonly serverName: string,
    private readonly clock: Clock,
    private readonly users: UsersStore,
    private readonly limiter: Ratelimiter,
  ) {}

  userIdFor(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  /**
   * Whether `localpart` can be registered: the grammar, then whether the id
   * (in any case) is taken, then the numeric ids reserved for generated users.
   * `assignedUserId` is the user this UIA session already registered.
   */
  async checkUsername(localpart: string, opts: { assignedUserId?: string } = {}): Promise<void> {
    checkLocalpartGrammar(localpart, this.serverName, { allowNumeric: true });
    const userId = this.userIdFor(localpart);
    if (opts.assignedUserId !== undefined) {
      if (opts.assignedUserId === userId) return;
      throw new MatrixError(400, "M_UNKNOWN", "A different user ID has already been registered for this session");
    }
    if ((await this.users.getCaseInsensitive(userId)).length > 0) {
      throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
    }
    if (GENERATED_LOCALPART.test(localpart)) {
      throw new MatrixError(400, "M_INVALID_USERNAME", "Numeric user IDs are reserved for guest users.");
    }
  }

  async register(opts: RegisterUserOptions): Promise<string> {
    if (opts.address !== undefined) this.limiter.ratelimit({ key: opts.address });
    const base = {
      passwordHash: opts.passwordHash,
      admin: opts.admin ?? false,
      isGuest: opts.guest ?? false,
      userType: opts.userType ?? null,
    };
    let userId: string | undefined;
    if (opts.localpart !== undefined) {
      await this.checkUsername(opts.localpart);
      userId = this.userIdFor(opts.localpart);
      const displayname = opts.displayName === undefined || opts.displayName === null ? opts.localpart : opts.displayName || null;
      if (!(await this.users.create({ ...base, userId, displayname, createdTs: this.clock.now() }))) {
        throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
      }
    } else {
      for (let attempt = 0; attempt < 10 && userId === undefined; attempt++) {
        const localpart = String(randomInt(1, 2 ** 47));
        const candidate = this.userIdFor(localpart);
        const displayname = opts.displayName ?? localpart;
        if (await this.users.create({ ...base, userId: candidate, displayname: displayname || null, createdTs: this.clock.now() })) {
          userId = candidate;
        }
      }
      if (userId === undefined) throw new MatrixError(500, "M_UNKNOWN", "Unable to find a suitable user ID");
    }
    log.info("Registered {userId}{kind}", { userId, kind: base.isGuest ? " (guest)" : base.admin ? " (admin)" : "" });
    await this.onUserRegistered.emit({ userId, guest: base.isGuest, admin: base.admin });
    return userId;
  }
}
