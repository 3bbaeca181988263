import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";
import type { DevicesStore } from "../storage/stores/devices.ts";
import type { RefreshTokensStore } from "../storage/stores/refresh-tokens.ts";
import { AccessTokenService, localpartOf } from "../auth/access-tokens.ts";
import { generateDeviceId, generateToken, hashToken, isWellFormedToken } from "../auth/tokens.ts";
import { MatrixError, unknownToken } from "../http/errors.ts";
import { Listeners } from "./listeners.ts";

const log = getLogger(["hearth", "accounts", "sessions"]);

/**
 * Synapse's default `refreshable_access_token_lifetime`: a client that asks
 * for a refresh token gets access tokens that last this long. Refresh tokens
 * themselves do not expire until used.
 */
export const REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS = 5 * 60 * 1000;
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
  expiresInMs?: number;
}

/** Signs users in on a device: the device row, the access token and, when asked for, a refresh token. */
export class SessionService {
  /** Fired for every session issued (login, or registration that logs in): Synapse counts these as logins. */
  readonly onSessionCreated = new Listeners<SessionCreated>("session_created");

  constructor(
    private readonly clock: Clock,
    private readonly devices: DevicesStore,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokensStore,
  ) {}

  async create(userId: string, req: SessionRequest = {}): Promise<IssuedSession> {
    const deviceId = req.deviceId || generateDeviceId();
    const displayName = req.initialDisplayName ? req.initialDisplayName.slice(0, MAX_DEVICE_DISPLAY_NAME_LENGTH) : null;
    const now = this.clock.now();
    await this.devices.upsert(userId, deviceId, displayName, now, { ip: req.ip ?? null, userAgent: req.userAgent ?? null });
    if (!req.refreshable) {
      const accessToken = await this.accessTokens.issue(userId, deviceId);
      log.info("Logged in {userId} on device {deviceId}", { userId, deviceId });
      await this.onSessionCreated.emit({ userId, deviceId, guest: req.guest ?? false });
      return { deviceId, accessToken };
    }
    const refreshToken = generateToken("syr", localpartOf(userId));
    const refreshTokenHash = hashToken(refreshToken);
    await this.refreshTokens.insert({ tokenHash: refreshTokenHash, userId, deviceId, nextTokenHash: null, expiryTs: null, createdTs: now });
    const accessToken = await this.accessTokens.issue(userId, deviceId, {
      validForMs: REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS,
      refreshTokenHash,
    });
    log.info("Logged in {userId} on device {deviceId} with a refreshable token", { userId, deviceId });
    await this.onSessionCreated.emit({ userId, deviceId, guest: req.guest ?? false });
    return { deviceId, accessToken, refreshToken, expiresInMs: REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS };
  }

  /** Trades a refresh token for a new access token and a new refresh token (spec `POST /refresh`). */
  async refresh(refreshToken: string): Promise<Required<Omit<IssuedSession, "deviceId">>> {
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
    const { userId, deviceId } = existing;
    const newRefresh = generateToken("syr", localpartOf(userId));
    const newRefreshHash = hashToken(newRefresh);
    const { token: accessToken, row } = this.accessTokens.mint(userId, deviceId, {
      validForMs: REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS,
      refreshTokenHash: newRefreshHash,
    });
    await this.refreshTokens.rotate(
      oldHash,
      { tokenHash: newRefreshHash, userId, deviceId, nextTokenHash: null, expiryTs: null, createdTs: now },
      row,
    );
    return { accessToken, refreshToken: newRefresh, expiresInMs: REFRESHABLE_ACCESS_TOKEN_LIFETIME_MS };
  }
}
