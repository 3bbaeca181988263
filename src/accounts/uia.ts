import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";
import { MatrixError, invalidParam, tooLarge } from "../http/errors.ts";
import type { UiAuthSessionRow, UiAuthSessionsStore } from "../storage/stores/ui-auth-sessions.ts";
import { randomString } from "../auth/tokens.ts";

const log = getLogger(["hearth", "accounts", "uia"]);

/** Sessions live this long (Synapse's value), then the expiry loop deletes them. */
export const UIA_SESSION_LIFETIME_MS = 48 * 60 * 60 * 1000;
/** Parameters remembered for a session are small JSON; refuse to store megabytes for an anonymous client. */
export const MAX_CLIENTDICT_BYTES = 64 * 1024;

/**
 * The 401 that asks the client for (more) authentication. Its body is the UIA
 * response itself (`flows`, `params`, `session`, `completed`, and `errcode`
 * / `error` when the last stage failed), not the usual error envelope.
 */
export class UiaIncompleteError extends MatrixError {
  constructor(
    readonly sessionId: string,
    readonly body: Record<string, unknown>,
  ) {
    super(401, typeof body.errcode === "string" ? body.errcode : "M_UNAUTHORIZED", typeof body.error === "string" ? body.error : "Additional authentication required");
  }

  override toJSON(): Record<string, unknown> {
    return this.body;
  }
}

/** Thrown by a stage checker when the credentials are wrong: merged into the 401 so the client can retry. */
export class StageFailed extends MatrixError {}

export interface StageContext {
  sessionId: string;
  clientIp: string;
  /** Server-side data of the session (e.g. a registration token it already holds). */
  sessionData: Record<string, unknown>;
}

/** Returns what the stage authenticated (stored as the stage's result); throws StageFailed when it fails. */
export type StageChecker = (auth: Record<string, unknown>, ctx: StageContext) => Promise<unknown>;

export interface UiaRequest {
  flows: string[][];
  /** The request body's `auth` value, unvalidated. */
  auth: unknown;
  /** The request body without `auth` (and without anything secret). */
  clientdict: Record<string, unknown>;
  uri: string;
  method: string;
  clientIp: string;
  /** Server-side data for a new session. */
  newSessionData?: Record<string, unknown>;
  /** Told when a stage failed, e.g. to count a wrong password against a rate limit. */
  onStageFailed?: (err: StageFailed) => void;
}

export interface UiaResult {
  /** Completed stages and their results. */
  completed: Record<string, unknown>;
  /** The request parameters, possibly remembered from an earlier request of the session. */
  params: Record<string, unknown>;
  sessionId: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** User-interactive authentication (spec "User-Interactive Authentication API"), sessions in the database. */
export class UserInteractiveAuth {
  constructor(
    private readonly clock: Clock,
    private readonly store: UiAuthSessionsStore,
    private readonly checkers: Readonly<Record<string, StageChecker>>,
  ) {}

  /** Resolves when a whole flow is complete; otherwise throws UiaIncompleteError (or a MatrixError for bad input). */
  async check(req: UiaRequest): Promise<UiaResult> {
    if (req.auth !== undefined && req.auth !== null && !isObject(req.auth)) throw invalidParam("Invalid parameter auth: expected an object");
    const authdict = isObject(req.auth) ? req.auth : {};
    if (authdict.session !== undefined && typeof authdict.session !== "string") throw invalidParam("Invalid parameter auth.session: expected a string");
    if (authdict.type !== undefined && typeof authdict.type !== "string") throw invalidParam("Invalid parameter auth.type: expected a string");

    let params = req.clientdict;
    let session: UiAuthSessionRow;
    if (!authdict.session) {
      session = {
        sessionId: randomString(24),
        createdTs: this.clock.now(),
        uri: req.uri,
        method: req.method,
        clientdict: checkSize(params),
        data: req.newSessionData ?? {},
        completed: {},
      };
      await this.store.create(session);
    } else {
      session = await this.#getSession(authdict.session);
      if (session.uri !== req.uri || session.method !== req.method) {
        throw new MatrixError(403, "M_FORBIDDEN", "Requested operation has changed during the UI authentication session.");
      }
      // A client may send only `auth` on later requests and rely on what it sent first.
      if (Object.keys(params).length === 0) params = session.clientdict;
      else if (JSON.stringify(params) !== JSON.stringify(session.clientdict)) {
        await this.store.setClientdict(session.sessionId, checkSize(params));
      }
    }

    if (Object.keys(authdict).length === 0) throw this.#incomplete(req.flows, session.sessionId);

    let errordict: Record<string, unknown> = {};
    let completed = session.completed;
    if (typeof authdict.type === "string") {
      const stage = authdict.type;
      const checker = this.checkers[stage];
      if (!checker || !req.flows.some((f) => f.includes(stage))) {
        throw invalidParam(`Unknown or unsupported authentication type ${stage}`);
      }
      try {
        const result = await checker(authdict, { sessionId: session.sessionId, clientIp: req.clientIp, sessionData: session.data });
        completed = await this.store.completeStage(session.sessionId, stage, result);
      } catch (err) {
        if (!(err instanceof StageFailed)) throw err;
        req.onStageFailed?.(err);
        errordict = err.toJSON();
      }
    }

    for (const flow of req.flows) {
      if (flow.every((stage) => stage in completed)) {
        log.info("Auth completed with stages {stages}; parameters {keys}", { stages: Object.keys(completed), keys: Object.keys(params) });
        return { completed, params, sessionId: session.sessionId };
      }
    }
    throw this.#incomplete(req.flows, session.sessionId, { completed: Object.keys(completed), ...errordict });
  }

  /** Server-side data of a live session; 400 for an unknown or expired one. */
  async getSessionData(sessionId: string): Promise<Record<string, unknown>> {
    return (await this.#getSession(sessionId)).data;
  }

  async setSessionData(sessionId: string, values: Record<string, unknown>): Promise<void> {
    if (!(await this.store.setData(sessionId, values))) throw unknownSession(sessionId);
  }

  async expireOldSessions(): Promise<void> {
    const removed = await this.store.deleteExpired(this.clock.now() - UIA_SESSION_LIFETIME_MS);
    if (removed > 0) log.debug("Deleted {count} expired UI auth sessions", { count: removed });
  }

  async #getSession(sessionId: string): Promise<UiAuthSessionRow> {
    const session = sessionId.length <= 255 ? await this.store.get(sessionId) : undefined;
    if (!session || session.createdTs < this.clock.now() - UIA_SESSION_LIFETIME_MS) throw unknownSession(sessionId);
    return session;
  }

  #incomplete(flows: string[][], sessionId: string, extra: Record<string, unknown> = {}): UiaIncompleteError {
    return new UiaIncompleteError(sessionId, { session: sessionId, flows: flows.map((stages) => ({ stages })), params: {}, ...extra });
  }
}

function unknownSession(sessionId: string): MatrixError {
  return new MatrixError(400, "M_UNKNOWN", `Unknown session ID: ${sessionId.slice(0, 64)}`);
}

function checkSize(params: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(params).length > MAX_CLIENTDICT_BYTES) throw tooLarge("Request parameters too large");
  return params;
}
