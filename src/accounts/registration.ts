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
  userType: string | null;
  /** A guest account became a full account (the user id is unchanged). */
  upgradedGuest?: boolean;
}

export class RegistrationService {
  /** Fired after a user is created (auto-join rooms, user directory...). */
  readonly onUserRegistered = new Listeners<UserRegistered>("user_registered");

  constructor(
    private readonly serverName: string,
    private readonly clock: Clock,
    private readonly users: UsersStore,
    private readonly limiter: Ratelimiter,
    /** `user_types.default_user_type`, given to users registered with a name but no type. */
    private readonly defaultUserType: string | null = null,
  ) {}

  userIdFor(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  /**
   * Whether `localpart` can be registered: the grammar, then whether the id
   * (in any case) is taken, then the numeric ids reserved for generated users.
   * `assignedUserId` is the user this UIA session already registered.
   */
  async checkUsername(
    localpart: string,
    opts: {
      assignedUserId?: string;
      /** `inhibit_user_in_use_error`: a taken id is only refused once registration is attempted. */
      inhibitUserInUseError?: boolean;
      /** The guest upgrading to a full account (checked by the caller): their own id is not "taken". */
      guestUserId?: string;
    } = {},
  ): Promise<void> {
    checkLocalpartGrammar(localpart, this.serverName, { allowNumeric: true });
    const userId = this.userIdFor(localpart);
    if (opts.assignedUserId !== undefined) {
      if (opts.assignedUserId === userId) return;
      throw new MatrixError(400, "M_UNKNOWN", "A different user ID has already been registered for this session");
    }
    if ((await this.users.getCaseInsensitive(userId)).length > 0) {
      if (opts.guestUserId !== undefined) {
        if (opts.guestUserId !== userId) {
          throw new MatrixError(403, "M_FORBIDDEN", "Cannot register taken user ID without valid guest credentials for that user.");
        }
      } else if (!opts.inhibitUserInUseError) {
        throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
      }
    }
    if (opts.guestUserId === undefined && GENERATED_LOCALPART.test(localpart)) {
      throw new MatrixError(400, "M_INVALID_USERNAME", "Numeric user IDs are reserved for guest users.");
    }
  }

  async register(opts: RegisterUserOptions): Promise<string> {
    if (opts.address !== undefined) this.limiter.ratelimit({ key: opts.address });
    const base = {
      passwordHash: opts.passwordHash,
      admin: opts.admin ?? false,
      isGuest: opts.guest ?? false,
      // As in Synapse, generated (guest and nameless) users do not get the default type.
      userType: opts.userType ?? (opts.localpart !== undefined ? this.defaultUserType : null),
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
    await this.onUserRegistered.emit({ userId, guest: base.isGuest, admin: base.admin, userType: base.userType });
    return userId;
  }

  /** Turns a guest account into a full account with a password (`guest_access_token` at /register). */
  async upgradeGuest(userId: string, passwordHash: string, address: string): Promise<void> {
    this.limiter.ratelimit({ key: address });
    const user = await this.users.get(userId);
    if (!user?.isGuest) throw new MatrixError(403, "M_FORBIDDEN", "Cannot register taken user ID without valid guest credentials for that user.");
    await this.users.update(userId, { passwordHash, isGuest: false, userType: this.defaultUserType });
    log.info("Upgraded guest {userId} to a full account", { userId });
    await this.onUserRegistered.emit({ userId, guest: false, admin: user.admin, userType: this.defaultUserType, upgradedGuest: true });
  }
}
