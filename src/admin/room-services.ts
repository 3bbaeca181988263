import type { Database } from "../storage/database.ts";
import type { Clock } from "../observability/clock.ts";
import type { BackgroundProcesses } from "../observability/background.ts";
import type { RoomService } from "../rooms/service.ts";
import type { RateLimiters } from "../ratelimit/limiters.ts";
import { AdminRoomsStore } from "../storage/stores/admin-rooms.ts";
import { BlockedRoomsStore } from "../storage/stores/admin-blocked-rooms.ts";
import { AdminTasksStore } from "../storage/stores/admin-tasks.ts";
import { EventReportsStore } from "../storage/stores/admin-event-reports.ts";
import { HistoryPurgeStore, RoomPurgeStore } from "../storage/stores/admin-room-purge.ts";
import { RoomAdmin } from "./room-admin.ts";
import { RoomShutdown } from "./room-shutdown.ts";
import { RoomPurger } from "./room-purge.ts";
import { RoomDeletions } from "./room-deletion.ts";
import { HistoryPurger } from "./history-purge.ts";
import { EventReports } from "./event-reports.ts";

/** The admin API's room logic: built after the rooms service, which it drives. */
export interface AdminRoomServices {
  rooms: RoomAdmin;
  purger: RoomPurger;
  deletions: RoomDeletions;
  history: HistoryPurger;
  reports: EventReports;
  /** Rooms nobody here may join; the membership code should consult `isBlocked`. */
  blocked: BlockedRoomsStore;
  stores: { tasks: AdminTasksStore; roomPurge: RoomPurgeStore };
}

export interface AdminRoomServiceDeps {
  serverName: string;
  clock: Clock;
  database: Database;
  background: BackgroundProcesses;
  rooms: RoomService;
  ratelimiters: RateLimiters;
}

export function createAdminRoomServices(deps: AdminRoomServiceDeps): AdminRoomServices {
  const { serverName, clock, database, background, rooms } = deps;
  const facts = new AdminRoomsStore(database, serverName);
  const blocked = new BlockedRoomsStore(database);
  const tasks = new AdminTasksStore(database);
  const roomPurge = new RoomPurgeStore(database);
  const purger = new RoomPurger({ serverName, store: roomPurge, rooms: rooms.stores.rooms, heads: rooms.heads });
  const shutdown = new RoomShutdown({ serverName, clock, rooms, blocked });
  const startedAt = clock.now();
  // A task that was running when the server stopped will not finish: say so.
  void background.run("fail_interrupted_admin_tasks", () => tasks.failUnfinished("Interrupted by a server restart; start it again", startedAt, clock.now()));
  return {
    rooms: new RoomAdmin({ serverName, clock, rooms, store: facts, blocked }),
    purger,
    deletions: new RoomDeletions({ clock, background, tasks, shutdown, purger }),
    history: new HistoryPurger({ serverName, clock, background, events: rooms.stores.events, store: new HistoryPurgeStore(database), tasks }),
    reports: new EventReports({ clock, rooms, roomFacts: facts, store: new EventReportsStore(database), limiter: deps.ratelimiters.reports }),
    blocked,
    stores: { tasks, roomPurge },
  };
}
