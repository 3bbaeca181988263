import { getLogger } from "@logtape/logtape";
import type { Clock } from "../observability/clock.ts";
import { MatrixError } from "../http/errors.ts";
import type { MasSettings } from "./config.ts";
import { masRequestJson } from "./http.ts";

/** MAS's OIDC discovery document: every field is kept and served as is. */
export type AuthMetadata = { issuer: string; account_management_uri: string } & Record<string, unknown>;

export interface MasMetadataOptions {
  settings: MasSettings;
  clock: Clock;
  userAgent: string;
  timeoutMs?: number;
}

const log = () => getLogger(["hearth", "mas", "metadata"]);

/**
 * The discovery document, fetched on first use and kept for the life of the
 * homeserver. A failure is not kept (the next call retries); callers waiting
 * on a fetch that fails all get the error.
 */
export class MasMetadata {
  #value: AuthMetadata | undefined;
  #inFlight: Promise<AuthMetadata> | undefined;
  #fetches = 0;

  constructor(private readonly opts: MasMetadataOptions) {}

  /** How many times the document was requested from MAS (tests). */
  get fetchCount(): number {
    return this.#fetches;
  }

  /** The document, or 503 M_UNKNOWN when MAS cannot provide it. */
  get(): Promise<AuthMetadata> {
    if (this.#value) return Promise.resolve(this.#value);
    this.#inFlight ??= this.#fetch().finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #fetch(): Promise<AuthMetadata> {
    const { settings, clock } = this.opts;
    this.#fetches++;
    try {
      const { json: doc } = await masRequestJson(
        settings.metadataUrl,
        { method: "GET", headers: { Accept: "application/json", "User-Agent": this.opts.userAgent } },
        { clock, timeoutMs: this.opts.timeoutMs ?? 30_000 },
      );
      if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error("the document is not a JSON object");
      const d = doc as Record<string, unknown>;
      for (const field of ["issuer", "account_management_uri"]) {
        if (typeof d[field] !== "string") throw new Error(`the document has no string ${field}`);
      }
      this.#value = d as AuthMetadata;
      return this.#value;
    } catch (err) {
      log().error("Failed to fetch the authentication server metadata from {url}: {error}", {
        url: settings.metadataUrl,
        error: (err as Error).message,
      });
      throw new MatrixError(503, "M_UNKNOWN", "Unable to fetch the authentication server metadata");
    }
  }
}
