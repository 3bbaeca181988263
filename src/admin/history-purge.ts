// Purging old history of a room (docs/admin_api/purge_history_api.md): non-state events
// before a point in the timeline; state is always kept, and so are the forward
// extremities; events of local senders only with `delete_local_events`. Runs as the
// background process "purge_history", chunk by chunk.
import { getLogger } from "@logtape/logtape";
import { randomString } from "../auth/tokens.ts";
import { MatrixError, notFound } from "../http/errors.ts";
import type { BackgroundProcesses } from "../observability/background.ts";
import type { Clock } from "../observability/clock.ts";
import type { EventsStore } from "../storage/stores/events.ts";
import type { HistoryPurgeStore } from "../storage/stores/admin-room-purge.ts";
import type { AdminTasksStore } from "../storage/stores/admin-tasks.ts";
import { TASK_RETENTION_MS } from "./room-deletion.ts";

const log = () => getLogger(["hearth", "admin", "purge_history"]);
export const PURGE_HISTORY_KIND = "purge_history";
const CHUNK = 500;

export type PurgePoint = { eventId: string } | { ts: number };

export class HistoryPurger {
  constructor(
    private readonly deps: {
      serverName: string;
      clock: Clock;
      background: BackgroundProcesses;
      events: EventsStore;
      store: HistoryPurgeStore;
      tasks: AdminTasksStore;
    },
  ) {}

  /** Checks the point, records the task and starts it; returns the purge id. */
  async start(roomId: string, point: PurgePoint, deleteLocalEvents: boolean): Promise<string> {
    const depth = await this.#depthOf(roomId, point);
    const now = this.deps.clock.now();
    await this.deps.tasks.deleteFinishedBefore(now - TASK_RETENTION_MS);
    const id = randomString(16);
    await this.deps.tasks.create({ id, kind: PURGE_HISTORY_KIND, roomId, status: "active", result: null, error: null, createdTs: now, updatedTs: now });
    log().info("[purge] purging {roomId} below depth {depth} (delete local events: {deleteLocalEvents})", { roomId, depth, deleteLocalEvents });
    void this.deps.background.run("purge_history", async () => {
      try {
        let total = 0;
        for (;;) {
          const n = await this.deps.store.deleteChunk(roomId, depth, deleteLocalEvents ? null : `:${this.deps.serverName}`, CHUNK);
          total += n;
          if (n < CHUNK) break;
        }
        await this.deps.tasks.update(id, { status: "complete", result: { deleted_events: total } }, this.deps.clock.now());
        log().info("[purge] complete: {total} events of {roomId}", { total, roomId });
      } catch (err) {
        await this.deps.tasks.update(id, { status: "failed", error: err instanceof Error ? err.message : String(err) }, this.deps.clock.now());
        throw err;
      }
    });
    return id;
  }

  async status(purgeId: string): Promise<{ status: string; error?: string }> {
    const task = await this.deps.tasks.get(purgeId);
    const expired = task && task.status !== "active" && task.updatedTs < this.deps.clock.now() - TASK_RETENTION_MS;
    if (!task || task.kind !== PURGE_HISTORY_KIND || expired) throw notFound(`purge id '${purgeId}' not found`);
    const out: { status: string; error?: string } = { status: task.status === "complete" || task.status === "failed" ? task.status : "active" };
    if (task.error) out.error = task.error;
    return out;
  }

  /** Events below this depth go: the given event (and its depth) stays. */
  async #depthOf(roomId: string, point: PurgePoint): Promise<number> {
    if ("eventId" in point) {
      const event = await this.deps.events.get(point.eventId);
      if (!event) throw notFound("Event not found");
      if (event.roomId !== roomId) throw new MatrixError(400, "M_UNKNOWN", "Event is for wrong room.");
      return event.depth;
    }
    const candidates = await this.deps.events.closestToTimestamp(roomId, point.ts, "b", 1);
    const last = candidates[0];
    if (!last) throw notFound("there is no event to be purged");
    return last.depth;
  }
}
