import * as v from "valibot";
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";
import type { MasSettings } from "./config.ts";
import { masRequestJson, MasRequestError } from "./http.ts";

/** A parsed RFC 7662 answer, stamped with when it was fetched. */
export interface IntrospectionResult {
  active: boolean;
  scope?: string;
  username?: string;
  sub?: string;
  deviceId?: string;
  /** Seconds the token stays valid from `retrievedAtMs`; absent for tokens that never expire. */
  expiresIn?: number;
  retrievedAtMs: number;
}

// Extra fields are ignored; types are strict (no "true" for true). null reads as absent.
const responseSchema = v.object({
  active: v.boolean(),
  scope: v.nullish(v.string()),
  username: v.nullish(v.string()),
  sub: v.nullish(v.string()),
  device_id: v.nullish(v.string()),
  expires_in: v.nullish(v.pipe(v.number(), v.integer())),
});

export function parseIntrospectionResponse(json: unknown, retrievedAtMs: number): IntrospectionResult {
  const r = v.safeParse(responseSchema, json);
  if (!r.success) {
    const issue = r.issues[0];
    throw new Error(`invalid introspection response: ${v.getDotPath(issue) ?? "(body)"}: ${issue.message}`);
  }
  const o = r.output;
  return {
    active: o.active,
    scope: o.scope ?? undefined,
    username: o.username ?? undefined,
    sub: o.sub ?? undefined,
    deviceId: o.device_id ?? undefined,
    expiresIn: o.expires_in ?? undefined,
    retrievedAtMs,
  };
}

export interface IntrospectionClientOptions {
  settings: MasSettings;
  clock: Clock;
  userAgent: string;
  timeoutMs?: number;
  /** Called once per round trip: `code` is 200, the HTTP status, or ERR. */
  onResponse?: (code: string, seconds: number) => void;
}

/** Thrown when MAS could not be asked or gave no usable answer (the client sees 503). */
export class IntrospectionFailure extends Error {
  override name = "IntrospectionFailure";
}

const log = () => getLogger(["hearth", "mas", "introspection"]);

/** Asks MAS about one token. Never logs the token. */
export class IntrospectionClient {
  constructor(private readonly opts: IntrospectionClientOptions) {}

  async introspect(token: string): Promise<IntrospectionResult> {
    const { settings, clock } = this.opts;
    const started = performance.now();
    let code = "ERR";
    log().debug("Fetching token from MAS");
    try {
      const { status, json } = await masRequestJson(
        settings.introspectionUrl,
        {
          method: "POST",
          headers: {
            "Content-Type": "application/x-www-form-urlencoded",
            Accept: "application/json",
            Authorization: `Bearer ${settings.secret}`,
            "X-MAS-Supports-Device-Id": "1",
            "User-Agent": this.opts.userAgent,
          },
          body: new URLSearchParams({ token, token_type_hint: "access_token" }).toString(),
        },
        { clock, timeoutMs: this.opts.timeoutMs ?? 10_000, http2: settings.forceHttp2 },
      ).catch((err: unknown) => {
        if (err instanceof MasRequestError) code = err.code;
        throw err;
      });
      code = String(status);
      const result = parseIntrospectionResponse(json, clock.now());
      log().debug("Fetched token from MAS");
      log().debug("Introspection result: {result}", { result: describe(result) });
      return result;
    } catch (err) {
      throw new IntrospectionFailure((err as Error).message);
    } finally {
      this.opts.onResponse?.(code, (performance.now() - started) / 1000);
    }
  }
}

function describe(r: IntrospectionResult): string {
  return JSON.stringify({ active: r.active, scope: r.scope, username: r.username, device_id: r.deviceId, expires_in: r.expiresIn });
}
