import { invalidParam } from "../http/errors.ts";
import { MAX_DEVICE_ID_LENGTH, type IssuedSession } from "./sessions.ts";

export interface LoginParams {
  deviceId?: string;
  initialDisplayName?: string;
  inhibitLogin: boolean;
}

/** `device_id`, `initial_device_display_name` and `inhibit_login` of a registration, type-checked. */
export function readLoginParams(params: Record<string, unknown>): LoginParams {
  const { device_id: deviceId, initial_device_display_name: name, inhibit_login: inhibit } = params;
  if (deviceId !== undefined && deviceId !== null) {
    if (typeof deviceId !== "string") throw invalidParam("Invalid parameter device_id: expected a string");
    if (deviceId.length > MAX_DEVICE_ID_LENGTH) throw invalidParam(`device_id cannot be longer than ${MAX_DEVICE_ID_LENGTH} characters.`);
  }
  if (name !== undefined && name !== null && typeof name !== "string") {
    throw invalidParam("Invalid parameter initial_device_display_name: expected a string");
  }
  if (inhibit !== undefined && inhibit !== null && typeof inhibit !== "boolean") {
    throw invalidParam("Invalid parameter inhibit_login: expected true or false");
  }
  return {
    deviceId: typeof deviceId === "string" && deviceId !== "" ? deviceId : undefined,
    initialDisplayName: typeof name === "string" ? name : undefined,
    inhibitLogin: inhibit === true,
  };
}

/** The body of a successful registration (client or admin API). */
export function registrationResponse(userId: string, serverName: string, session: IssuedSession | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { user_id: userId, home_server: serverName };
  if (session) {
    out.access_token = session.accessToken;
    out.device_id = session.deviceId;
    if (session.refreshToken) out.refresh_token = session.refreshToken;
    if (session.expiresInMs !== undefined) out.expires_in_ms = session.expiresInMs;
  }
  return out;
}
