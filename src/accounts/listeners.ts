import { getLogger } from "@logtape/logtape";

const log = getLogger(["hearth", "accounts"]);

/**
 * A list of subscribers other parts of the server hook into (rooms update
 * member events on profile changes, e2ee drops keys of deleted devices...).
 * A failing listener is logged and does not fail the change that fired it.
 */
export class Listeners<T> {
  readonly #fns = new Set<(event: T) => unknown>();

  constructor(private readonly name: string) {}

  /** Returns a function that unsubscribes. */
  add(fn: (event: T) => unknown): () => void {
    this.#fns.add(fn);
    return () => this.#fns.delete(fn);
  }

  async emit(event: T): Promise<void> {
    for (const fn of this.#fns) {
      try {
        await fn(event);
      } catch (err) {
        log.error("A {name} listener failed: {error}", { name: this.name, error: err });
      }
    }
  }
}
