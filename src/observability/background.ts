import { getLogger } from "@logtape/logtape";
import { runInLogContext, runInSentinel } from "./log-context.ts";

export interface BackgroundProcessObserver {
  started(desc: string): void;
  finished(desc: string, durationMs: number, ok: boolean): void;
}

/**
 * Named background work of one homeserver: each run gets its own log context
 * `<desc>-<n>`, errors are logged and never escape, and nothing starts before
 * the homeserver is running (work requested earlier waits for start()).
 */
export class BackgroundProcesses {
  #running = false;
  #shutdown = false;
  #counters = new Map<string, number>();
  #inFlight = new Set<Promise<unknown>>();
  #pending: Array<() => void> = [];
  #abort = new AbortController();
  #observers = new Set<BackgroundProcessObserver>();
  #log = getLogger(["hearth", "background"]);

  constructor(readonly serverName: string) {}

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  observe(observer: BackgroundProcessObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /** Resolves to fn's result, or null if it threw; never rejects. */
  run<T>(desc: string, fn: (signal: AbortSignal) => Promise<T> | T): Promise<T | null> {
    if (this.#shutdown) throw new Error("Cannot start background process. HomeServer has been shutdown");
    if (!this.#running) {
      return new Promise((resolve) => this.#pending.push(() => void this.run(desc, fn).then(resolve)));
    }
    const n = this.#counters.get(desc) ?? 0;
    this.#counters.set(desc, n + 1);
    const started = performance.now();
    for (const o of this.#observers) o.started(desc);
    const signal = this.#abort.signal;
    const promise: Promise<T | null> = runInSentinel(() =>
      runInLogContext({ server_name: this.serverName, request: `${desc}-${n}` }, async () => {
        let ok = false;
        try {
          const result = await fn(signal);
          ok = true;
          return result;
        } catch (err) {
          this.#log.error("Background process '{desc}' threw an exception: {error}", { desc, error: err });
          return null;
        } finally {
          for (const o of this.#observers) o.finished(desc, performance.now() - started, ok);
        }
      }),
    );
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise));
    return promise;
  }

  start(): void {
    this.#running = true;
    for (const go of this.#pending.splice(0)) go();
  }

  /** Signals running work to stop and waits for it, at most `timeoutMs`. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    this.#shutdown = true;
    this.#pending = [];
    this.#abort.abort();
    if (this.#inFlight.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight]),
      new Promise((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }
}
