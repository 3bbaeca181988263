import { getLogger } from "@logtape/logtape";
import type { Requester } from "../http/context.ts";
import { MatrixError } from "../http/errors.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import type { AccessTokensStore } from "../storage/stores/access-tokens.ts";
import type { AccountDataStore } from "../storage/stores/account-data.ts";
import type { ProfileFieldsStore } from "../storage/stores/profile-fields.ts";
import type { DeviceService } from "./devices.ts";
import { Listeners } from "./listeners.ts";
import type { PasswordHasher } from "./passwords.ts";
import { checkPasswordPolicy, type PasswordPolicy } from "./password-policy.ts";
import type { Reauthenticator, RequestInfo } from "./reauth.ts";
import { UiaIncompleteError, type UserInteractiveAuth } from "./uia.ts";

const log = getLogger(["hearth", "accounts"]);
const SESSION_PASSWORD_HASH = "password_hash";

export interface UserDeactivated {
  userId: string;
  /** The user asked for their data to be erased (GDPR). */
  erase: boolean;
  byAdmin: boolean;
}

/** Password changes and deactivation. */
export class AccountManagement {
  /** Fired after deactivation: rooms make the user leave and reject invites, pushers and keys go. */
  readonly onUserDeactivated = new Listeners<UserDeactivated>("user_deactivated");
  /**
   * Sets the flag the admin API reports as `erased` (the erased_users table);
   * bound by services.ts to the admin store, so client and admin erasure set it alike.
   */
  markErased: ((userId: string) => Promise<void>) | undefined;

  constructor(
    private readonly deps: {
      uia: UserInteractiveAuth;
      reauth: Reauthenticator;
      users: UsersStore;
      accessTokens: AccessTokensStore;
      accountData: AccountDataStore;
      profileFields: ProfileFieldsStore;
      devices: DeviceService;
      hasher: PasswordHasher;
      passwordPolicy: PasswordPolicy | undefined;
      /** `password_config.enabled` and `localdb_enabled`: Synapse's can_change_password. */
      canChangePassword: boolean;
    },
  ) {}

  /**
   * `POST /account/password`. The new password is hashed as soon as it is
   * seen and only the hash is kept in the UIA session.
   */
  async changePassword(
    requester: Requester,
    body: { auth?: unknown; new_password?: string; logout_devices?: boolean },
    req: RequestInfo,
  ): Promise<void> {
    const { auth, new_password: newPassword, ...clientdict } = body;
    if (newPassword !== undefined) checkPasswordPolicy(newPassword, this.deps.passwordPolicy);
    let validated: { params: Record<string, unknown>; sessionId: string | null };
    try {
      validated = await this.deps.reauth.validate(requester, clientdict, auth, req);
    } catch (err) {
      if (err instanceof UiaIncompleteError && newPassword) {
        const data = await this.deps.uia.getSessionData(err.sessionId);
        if (!data[SESSION_PASSWORD_HASH]) {
          await this.deps.uia.setSessionData(err.sessionId, { [SESSION_PASSWORD_HASH]: await this.deps.hasher.hash(newPassword) });
        }
      }
      throw err;
    }
    if (!this.deps.canChangePassword) throw new MatrixError(403, "M_FORBIDDEN", "Password change disabled");
    let passwordHash: unknown = newPassword ? await this.deps.hasher.hash(newPassword) : undefined;
    if (passwordHash === undefined && validated.sessionId !== null) {
      passwordHash = (await this.deps.uia.getSessionData(validated.sessionId))[SESSION_PASSWORD_HASH];
    }
    if (typeof passwordHash !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "Missing params: password");
    await this.setPassword(requester.userId, passwordHash, validated.params.logout_devices !== false ? requester : null);
  }

  /**
   * Stores a new password hash. With `keep`, every other device and token of
   * the user is logged out (the requester's own token survives).
   */
  async setPassword(userId: string, passwordHash: string, keep: Pick<Requester, "deviceId" | "tokenId"> | null): Promise<void> {
    await this.deps.users.update(userId, { passwordHash });
    log.info("Changed the password of {userId}", { userId });
    if (keep) {
      await this.deps.devices.deleteAll(userId, keep.deviceId);
      await this.deps.accessTokens.deleteForUser(userId, keep.tokenId);
    }
  }

  /** `POST /account/deactivate` after UIA. */
  async deactivateWithAuth(requester: Requester, body: { auth?: unknown; erase?: boolean; id_server?: string }, req: RequestInfo): Promise<void> {
    const { auth, ...clientdict } = body;
    await this.deps.reauth.validate(requester, clientdict, auth, req);
    await this.deactivate(requester.userId, { erase: body.erase ?? false, byAdmin: false });
  }

  /**
   * Deactivates the account for good: the id stays taken, every device and
   * token goes, the password is wiped, account data is purged, and with
   * `erase` the profile too.
   */
  async deactivate(userId: string, opts: { erase: boolean; byAdmin: boolean }): Promise<void> {
    log.info("Deactivating {userId} (erase: {erase})", { userId, erase: opts.erase });
    // Flag first: from here no token of the user resolves and no login succeeds.
    await this.deps.users.update(userId, {
      passwordHash: null,
      deactivated: true,
      ...(opts.erase ? { displayname: null, avatarUrl: null } : {}),
    });
    await this.deps.devices.logoutEverywhere(userId);
    if (opts.erase) {
      await this.deps.profileFields.deleteAll(userId);
      await this.markErased?.(userId);
    }
    await this.deps.accountData.deleteForUser(userId);
    await this.onUserDeactivated.emit({ userId, erase: opts.erase, byAdmin: opts.byAdmin });
  }
}
