import { getLogger } from "@logtape/logtape";
import type { UserRow, UsersStore } from "../storage/stores/users.ts";
import { isPlausibleUserId } from "./login-identifier.ts";
import { PasswordHasher } from "./passwords.ts";
import { randomString } from "../auth/tokens.ts";

const log = getLogger(["hearth", "accounts", "login"]);

/** Finds users the way logins name them and checks their passwords. */
export class PasswordAuthenticator {
  #dummyHash: Promise<string> | undefined;

  constructor(
    private readonly users: UsersStore,
    private readonly hasher: PasswordHasher = new PasswordHasher(),
  ) {}

  /**
   * The user a login names, matched case-insensitively (ids imported from
   * Synapse may carry capitals): a single match, or else the exact one.
   */
  async findUser(userId: string): Promise<UserRow | undefined> {
    if (!isPlausibleUserId(userId)) return undefined;
    const matches = await this.users.getCaseInsensitive(userId);
    if (matches.length === 1) return matches[0];
    const exact = matches.find((u) => u.userId === userId);
    if (!exact && matches.length > 1) log.warn("Login for {userId} matches several users inexactly", { userId });
    return exact;
  }

  /** The canonical user id when the password is right; undefined for an unknown user or a wrong password. */
  async check(userId: string, password: string): Promise<string | undefined> {
    return this.verify(await this.findUser(userId), password, userId);
  }

  /** Like check, for a user already looked up with findUser. */
  async verify(user: UserRow | undefined, password: string, userId: string): Promise<string | undefined> {
    if (!user) {
      log.info("Attempted to log in as {userId}, who does not exist", { userId });
      // Spend the time a real check takes, so response times do not reveal which users exist.
      this.#dummyHash ??= this.hasher.hash(randomString(16));
      await this.hasher.verify(password, await this.#dummyHash);
      return undefined;
    }
    if (!(await this.hasher.verify(password, user.passwordHash))) {
      log.info("Failed password login for {userId}", { userId: user.userId });
      return undefined;
    }
    return user.userId;
  }
}
