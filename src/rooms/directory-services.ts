// The room directory and room upgrades, assembled once per homeserver on top of the
// rooms service: local aliases (also the RoomService's alias resolver), the published
// room list, and upgrades.
import type { AccountDataService } from "../accounts/account-data.ts";
import type { SigningKey } from "../matrix/signing.ts";
import type { Clock } from "../observability/clock.ts";
import type { Database } from "../storage/database.ts";
import { RoomAliasesStore } from "../storage/stores/room-aliases.ts";
import { RoomDirectoryStore } from "../storage/stores/room-directory.ts";
import { DirectoryAliases } from "./room-aliases.ts";
import { RoomList } from "./room-list.ts";
import { RoomUpgrades } from "./room-upgrade.ts";
import type { RoomService } from "./service.ts";

export interface DirectoryServices {
  /** Set as `rooms.aliases`, so joins by alias and createRoom's room_alias_name use it. */
  aliases: DirectoryAliases;
  roomList: RoomList;
  upgrades: RoomUpgrades;
}

export interface DirectoryServiceDeps {
  serverName: string;
  clock: Clock;
  database: Database;
  signingKey: SigningKey;
  rooms: RoomService;
  accountData?: AccountDataService;
}

export function createDirectoryServices(deps: DirectoryServiceDeps): DirectoryServices {
  const { serverName, clock, database, rooms } = deps;
  const directory = new RoomDirectoryStore(database);
  return {
    aliases: new DirectoryAliases({ serverName, clock, store: new RoomAliasesStore(database), rooms }),
    roomList: new RoomList({ serverName, rooms: rooms.stores.rooms, heads: rooms.heads, directory }),
    upgrades: new RoomUpgrades({ serverName, clock, signingKey: deps.signingKey, rooms, directory, accountData: deps.accountData }),
  };
}
