import type { Clock } from "../observability/clock.ts";

/** MAS answers are small; anything bigger is a misbehaving server (Synapse caps at 1 MiB too). */
export const MAX_MAS_RESPONSE_BYTES = 1024 * 1024;

/** Why a request to MAS produced no usable answer; `code` is the metric label (an HTTP status or ERR). */
export class MasRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "MasRequestError";
  }
}

export interface MasHttpOptions {
  clock: Clock;
  timeoutMs: number;
  /** Ask for HTTP/2; Bun speaks it over TLS only. */
  http2?: boolean;
}

/**
 * One HTTP exchange with MAS: a timeout from the homeserver's clock, the body
 * read up to the cap, and any non-2xx answer turned into a MasRequestError.
 * Returns the status and the decoded JSON value (not yet validated).
 */
export async function masRequestJson(url: string, init: RequestInit, opts: MasHttpOptions): Promise<{ status: number; json: unknown }> {
  const controller = new AbortController();
  const timer = opts.clock.callLater(opts.timeoutMs, () => controller.abort());
  try {
    let res: Response;
    try {
      res = await fetch(url, {
        ...init,
        signal: controller.signal,
        redirect: "error",
        ...(opts.http2 && url.startsWith("https:") ? { protocol: "http2" as const } : {}),
      });
    } catch (err) {
      throw new MasRequestError(controller.signal.aborted ? `timed out after ${opts.timeoutMs} ms` : `request failed: ${(err as Error).message}`, "ERR");
    }
    let bytes: Uint8Array;
    try {
      bytes = await readCapped(res, MAX_MAS_RESPONSE_BYTES, controller);
    } catch (err) {
      if (err instanceof MasRequestError) throw err;
      throw new MasRequestError(controller.signal.aborted ? `timed out after ${opts.timeoutMs} ms` : `reading the response failed: ${(err as Error).message}`, "ERR");
    }
    if (res.status < 200 || res.status >= 300) {
      throw new MasRequestError(`MAS answered HTTP ${res.status}`, String(res.status));
    }
    try {
      return { status: res.status, json: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) };
    } catch {
      throw new MasRequestError("MAS answered with something that is not JSON", String(res.status));
    }
  } finally {
    timer.cancel();
  }
}

async function readCapped(res: Response, max: number, controller: AbortController): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  const tooLarge = () => new MasRequestError(`MAS response larger than ${max} bytes`, String(res.status));
  if (declared > max) {
    controller.abort();
    throw tooLarge();
  }
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
