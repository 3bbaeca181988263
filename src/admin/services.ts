import type { Database } from "../storage/database.ts";
import type { Clock } from "../observability/clock.ts";
import type { BackgroundProcesses } from "../observability/background.ts";
import type { AccountServices } from "../accounts/account-services.ts";
import type { RatelimitOverrides } from "../accounts/ratelimit-overrides.ts";
import type { AccessTokenService } from "../auth/access-tokens.ts";
import type { UsersStore } from "../storage/stores/users.ts";
import type { RatelimitOverridesStore } from "../storage/stores/ratelimit-overrides.ts";
import { AdminUsersStore } from "../storage/stores/admin-users.ts";
import { AdminRegistrationTokensStore } from "../storage/stores/admin-registration-tokens.ts";
import { RoomsStore } from "../storage/stores/rooms.ts";
import { UserAdmin } from "./users.ts";

/** The admin API's logic for one homeserver. */
export interface AdminServices {
  users: UserAdmin;
  stores: {
    adminUsers: AdminUsersStore;
    registrationTokens: AdminRegistrationTokensStore;
  };
}

export interface AdminServiceDeps {
  serverName: string;
  clock: Clock;
  database: Database;
  background: BackgroundProcesses;
  users: UsersStore;
  ratelimitOverridesStore: RatelimitOverridesStore;
  accounts: AccountServices;
  accessTokens: AccessTokenService;
  ratelimitOverrides: RatelimitOverrides;
}

export function createAdminServices(deps: AdminServiceDeps): AdminServices {
  const stores = {
    adminUsers: new AdminUsersStore(deps.database),
    registrationTokens: new AdminRegistrationTokensStore(deps.database),
  };
  const users = new UserAdmin({
    serverName: deps.serverName,
    clock: deps.clock,
    users: deps.users,
    adminUsers: stores.adminUsers,
    accounts: deps.accounts,
    accessTokens: deps.accessTokens,
    ratelimitOverrides: deps.ratelimitOverrides,
    ratelimitOverridesStore: deps.ratelimitOverridesStore,
    rooms: new RoomsStore(deps.database),
  });
  return { users, stores };
}
