// Room deletion as the admin API offers it: v1 shuts down and purges while the request
// waits; v2 records a task, runs it as the named background process "purge_room", and
// answers status queries from the task's row for a day after it finished.
import { randomString } from "../auth/tokens.ts";
import { MatrixError, notFound } from "../http/errors.ts";
import type { BackgroundProcesses } from "../observability/background.ts";
import type { Clock } from "../observability/clock.ts";
import type { AdminTaskRow, AdminTasksStore } from "../storage/stores/admin-tasks.ts";
import type { RoomPurger } from "./room-purge.ts";
import type { RoomShutdown, ShutdownParams, ShutdownResult } from "./room-shutdown.ts";

export const DELETE_TASK_KIND = "shutdown_and_purge_room";
/** Finished tasks are answered this long, as in Synapse. */
export const TASK_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface DeleteParams extends ShutdownParams {
  purge: boolean;
  forcePurge: boolean;
}

export interface DeleteStatus {
  delete_id: string;
  room_id: string;
  status: string;
  shutdown_room: ShutdownResult;
  /** Present when the task failed (Synapse documents it but leaves it out; Hearth includes it). */
  error?: string;
}

const emptyResult = (): ShutdownResult => ({ kicked_users: [], failed_to_kick_users: [], local_aliases: [], new_room_id: null });

export class RoomDeletions {
  constructor(
    private readonly deps: {
      clock: Clock;
      background: BackgroundProcesses;
      tasks: AdminTasksStore;
      shutdown: RoomShutdown;
      purger: RoomPurger;
    },
  ) {}

  /** v1: everything before answering. */
  async deleteNow(roomId: string, p: DeleteParams, onProgress?: (r: ShutdownResult) => Promise<void>): Promise<ShutdownResult> {
    const result = await this.deps.shutdown.shutdown(roomId, p, onProgress);
    if (p.purge) {
      try {
        await this.deps.purger.purge(roomId, p.forcePurge);
      } catch (err) {
        // Blocking a room the server does not know is allowed; its purge finds nothing.
        if (!(p.block && err instanceof MatrixError && err.status === 404)) throw err;
      }
    }
    return result;
  }

  /** v2: records the task and starts it in the background; returns the delete id. */
  async start(roomId: string, p: DeleteParams): Promise<string> {
    const now = this.deps.clock.now();
    await this.deps.tasks.deleteFinishedBefore(now - TASK_RETENTION_MS);
    const running = (await this.deps.tasks.forRoom(roomId, DELETE_TASK_KIND)).filter((t) => t.status === "scheduled" || t.status === "active");
    if (running.length > 0) throw new MatrixError(400, "M_UNKNOWN", `Purge already in progress for ${roomId}`);
    this.deps.shutdown.checkParams(p);
    const id = randomString(16);
    await this.deps.tasks.create({ id, kind: DELETE_TASK_KIND, roomId, status: "scheduled", result: emptyResult() as unknown as Record<string, unknown>, error: null, createdTs: now, updatedTs: now });
    void this.deps.background.run("purge_room", () => this.#run(id, roomId, p));
    return id;
  }

  async #run(id: string, roomId: string, p: DeleteParams): Promise<void> {
    const { tasks, clock } = this.deps;
    const save = (r: ShutdownResult) => tasks.update(id, { result: r as unknown as Record<string, unknown> }, clock.now());
    try {
      await tasks.update(id, { status: "active" }, clock.now());
      const result = await this.deleteNow(roomId, p, save);
      await tasks.update(id, { status: "complete", result: result as unknown as Record<string, unknown> }, clock.now());
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await tasks.update(id, { status: "failed", error: message }, clock.now());
      throw err;
    }
  }

  async statusById(deleteId: string): Promise<DeleteStatus> {
    const task = await this.#live(await this.deps.tasks.get(deleteId));
    if (!task || task.kind !== DELETE_TASK_KIND) throw notFound(`delete id '${deleteId}' not found`);
    return view(task);
  }

  async statusByRoom(roomId: string): Promise<DeleteStatus[]> {
    const rows = await this.deps.tasks.forRoom(roomId, DELETE_TASK_KIND);
    const live: AdminTaskRow[] = [];
    for (const r of rows) {
      const t = await this.#live(r);
      if (t) live.push(t);
    }
    if (live.length === 0) throw notFound(`No delete task for room_id '${roomId}' found`);
    return live.map(view);
  }

  /** The task unless it finished more than a day ago. */
  async #live(task: AdminTaskRow | undefined): Promise<AdminTaskRow | undefined> {
    if (!task) return undefined;
    const finished = task.status === "complete" || task.status === "failed";
    if (finished && task.updatedTs < this.deps.clock.now() - TASK_RETENTION_MS) return undefined;
    return task;
  }
}

function view(t: AdminTaskRow): DeleteStatus {
  const out: DeleteStatus = {
    delete_id: t.id,
    room_id: t.roomId,
    status: t.status,
    shutdown_room: (t.result as unknown as ShutdownResult | null) ?? emptyResult(),
  };
  if (t.status === "failed" && t.error) out.error = t.error;
  return out;
}
