import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";
import type { DevicesStore } from "../storage/stores/devices.ts";
import type { RefreshTokensStore } from "../storage/stores/refresh-tokens.ts";
import { AccessTokenService, localpartOf } from "../auth/access-tokens.ts";
import { generateDeviceId, generateToken, hashToken, isWellFormedToken } from "../auth/tokens.ts";
import { MatrixError, unknownToken } from "../http/errors.ts";
import { Listeners } from "./listeners.ts";
import { DEFAULT_TOKEN_LIFETIMES, type TokenLifetimes } from "./account-config.ts";

const log = getLogger(["hearth", "accounts", "sessions"]);

export const MAX_DEVICE_DISPLAY_NAME_LENGTH = 100;
export const MAX_DEVICE_ID_LENGTH = 512;

export interface SessionRequest {
  /** Reuse this device (created when unknown); a fresh id when absent. */
  deviceId?: string | null;
  /** Display name for a new device; ignored for an existing one. Truncated to 100 characters. */
  initialDisplayName?: string | null;
  refreshable?: boolean;
  ip?: string | null;
  userAgent?: string | null;
  /** A guest's session (counted apart in the login metrics). */
  guest?: boolean;
}

export interface SessionCreated {
  userId: string;
  deviceId: string;
  guest: boolean;
}

export interface IssuedSession {
  deviceId: string;
  accessToken: string;
  refreshToken?: string;
  /** Set when the access token expires. */
  expiresInMs?: number;
}

export interface RefreshedSession {
  accessToken: string;
  refreshToken: string;
  expiresInMs?: number;
}

const earliest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/** Signs users in on a device: the device row, the access token and, when asked for, a refresh token. */
/** A fresh refresh token and the row that stores it (hashed). */
function newRefreshToken(userId: string, deviceId: string, expiryTs: number | null, sessionEnd: number | null, now: number) {
  const token = generateToken("syr", localpartOf(userId));
  const row = { tokenHash: hashToken(token), userId, deviceId, nextTokenHash: null, expiryTs, ultimateSessionExpiryTs: sessionEnd, createdTs: now };
  return { token, row };
}

export class SessionService {
  /** Fired for every session issued (login, or registration that logs in): Synapse counts these as logins. */
  readonly onSessionCreated = new Listeners<SessionCreated>("session_created");

  constructor(
    private readonly clock: Clock,
    private readonly devices: DevicesStore,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokensStore,
    private readonly lifetimes: TokenLifetimes = DEFAULT_TOKEN_LIFETIMES,
  ) {}

  /** False when `refreshable_access_token_lifetime` is null: a login asking for a refresh token gets a plain one. */
  get refreshTokensEnabled(): boolean {
    return this.lifetimes.refreshableAccessMs !== null;
  }

  /**
   * With Synapse's lifetimes: `session_lifetime` bounds every token of the
   * session (guests excepted), `nonrefreshable_access_token_lifetime` plain
   * access tokens, `refreshable_access_token_lifetime` and
   * `refresh_token_lifetime` the refreshable ones.
   */
  async create(userId: string, req: SessionRequest = {}): Promise<IssuedSession> {
    const deviceId = req.deviceId || generateDeviceId();
    const displayName = req.initialDisplayName ? req.initialDisplayName.slice(0, MAX_DEVICE_DISPLAY_NAME_LENGTH) : null;
    const now = this.clock.now();
    const l = this.lifetimes;
    const guest = req.guest ?? false;
    const sessionEnd = !guest && l.sessionMs !== null ? now + l.sessionMs : null;
    await this.devices.upsert(userId, deviceId, displayName, now, { ip: req.ip ?? null, userAgent: req.userAgent ?? null });
    if (!req.refreshable || l.refreshableAccessMs === null) {
      const validUntil = guest ? null : earliest(sessionEnd, l.nonrefreshableAccessMs !== null ? now + l.nonrefreshableAccessMs : null);
      const accessToken = await this.accessTokens.issue(userId, deviceId, validUntil !== null ? { validForMs: validUntil - now } : {});
      log.info("Logged in {userId} on device {deviceId}", { userId, deviceId });
      await this.onSessionCreated.emit({ userId, deviceId, guest });
      return { deviceId, accessToken, ...(validUntil !== null ? { expiresInMs: validUntil - now } : {}) };
    }
    const accessUntil = earliest(now + l.refreshableAccessMs, sessionEnd)!;
    const refreshUntil = earliest(l.refreshTokenMs !== null ? now + l.refreshTokenMs : null, sessionEnd);
    const { token: refreshToken, row: refreshRow } = newRefreshToken(userId, deviceId, refreshUntil, sessionEnd, now);
    const refreshTokenHash = refreshRow.tokenHash;
    await this.refreshTokens.insert(refreshRow);
    const accessToken = await this.accessTokens.issue(userId, deviceId, { validForMs: accessUntil - now, refreshTokenHash });
    log.info("Logged in {userId} on device {deviceId} with a refreshable token", { userId, deviceId });
    await this.onSessionCreated.emit({ userId, deviceId, guest });
    return { deviceId, accessToken, refreshToken, expiresInMs: accessUntil - now };
  }

  /** Trades a refresh token for a new access token and a new refresh token (spec `POST /refresh`). */
  async refresh(refreshToken: string): Promise<RefreshedSession> {
    if (!isWellFormedToken(refreshToken, "syr")) throw unknownToken("Invalid refresh token");
    const oldHash = hashToken(refreshToken);
    const existing = await this.refreshTokens.lookup(oldHash);
    if (!existing) throw unknownToken("Refresh token does not exist");
    if (existing.nextAccessUsed || existing.nextRefreshed) {
      throw new MatrixError(403, "M_FORBIDDEN", "Refresh token isn't valid anymore");
    }
    const now = this.clock.now();
    if (existing.expiryTs !== null && existing.expiryTs < now) {
      throw new MatrixError(403, "M_FORBIDDEN", "The supplied refresh token has expired");
    }
    const l = this.lifetimes;
    let accessUntil = l.refreshableAccessMs !== null ? now + l.refreshableAccessMs : null;
    let refreshUntil = l.refreshTokenMs !== null ? now + l.refreshTokenMs : null;
    const sessionEnd = existing.ultimateSessionExpiryTs;
    if (sessionEnd !== null) {
      // The session's bound carries over to every refresh.
      accessUntil = earliest(accessUntil, sessionEnd);
      refreshUntil = earliest(refreshUntil, sessionEnd);
      if (sessionEnd < now) throw new MatrixError(403, "M_FORBIDDEN", "The session has expired and can no longer be refreshed");
    }
    const { userId, deviceId } = existing;
    const { token: newRefresh, row: refreshRow } = newRefreshToken(userId, deviceId, refreshUntil, sessionEnd, now);
    const { token: accessToken, row } = this.accessTokens.mint(userId, deviceId, {
      ...(accessUntil !== null ? { validForMs: accessUntil - now } : {}),
      refreshTokenHash: refreshRow.tokenHash,
    });
    await this.refreshTokens.rotate(oldHash, refreshRow, row);
    return { accessToken, refreshToken: newRefresh, ...(accessUntil !== null ? { expiresInMs: accessUntil - now } : {}) };
  }
}
