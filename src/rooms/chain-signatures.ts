// Signatures of a chain built in bulk, made on the signing pool's worker while the chain
// is still being built: each event is built with a placeholder signature of the right
// length (so the size limit is checked exactly), its signable bytes go to the worker in
// chunks, and `complete` puts the real signatures in and re-serialises the rows.
import { signaturePlaceholder, type EventSigner } from "../matrix/events.ts";
import type { SigningJob, SigningPool } from "../matrix/signing-pool.ts";
import type { BuiltEvent } from "./event-builder.ts";
import { yieldToPendingIo } from "./event-writer.ts";

/** Chains at least this long are signed on the pool; shorter ones are not worth a thread hop. */
export const BULK_SIGNING_MIN_EVENTS = 64;
const CHUNK = 256;

export class ChainSignatures {
  readonly #signables: Uint8Array[] = [];
  readonly #chunks: SigningJob[] = [];
  #sent = 0;

  constructor(
    private readonly pool: SigningPool,
    private readonly serverName: string,
    private readonly keyId: string,
  ) {}

  /** For BuildContext.signer: one call per event built, in order. */
  readonly signer: EventSigner = (signable) => {
    this.#signables.push(signable);
    if (this.#signables.length - this.#sent >= CHUNK) this.#send();
    return signaturePlaceholder;
  };

  /**
   * Gives `built` (the events this signer saw, in order) their signatures. With `takeBack`
   * false this thread signs nothing itself (it has more of the chain to build).
   */
  async complete(built: readonly BuiltEvent[], takeBack = true): Promise<void> {
    this.#send();
    if (takeBack) await this.takeBackUnstarted();
    const signatures = (await Promise.all(this.#chunks.map((c) => c.signatures))).flat();
    if (signatures.length !== built.length) throw new Error(`signed ${signatures.length} events, built ${built.length}`);
    // The JSON was written with the placeholder, which sits right after this prefix; the
    // last `"signatures":{` in it is the event's own (keys inside strings are escaped,
    // and only identifiers and hashes follow the key).
    const prefix = `"signatures":{${JSON.stringify(this.serverName)}:{${JSON.stringify(this.keyId)}:"`;
    for (let i = 0; i < built.length; i++) {
      const b = built[i]!;
      const signature = signatures[i]!;
      b.pdu.signatures = { [this.serverName]: { [this.keyId]: signature } };
      const json = b.row.pduJson;
      const at = json.lastIndexOf(prefix) + prefix.length;
      const placed = at >= prefix.length && json.startsWith(signaturePlaceholder, at) && signature.length === signaturePlaceholder.length;
      b.row.pduJson = placed ? json.slice(0, at) + signature + json.slice(at + signature.length) : JSON.stringify(b.pdu);
    }
  }

  /**
   * The worker signs more slowly than a chain is built (a 10,000-event chain left it ~80 ms
   * behind): this thread, once it has built everything, signs the chunks the worker has
   * not started, from the last one back, letting pending I/O in between chunks. Returns
   * whether it took every chunk (so earlier signers' unstarted chunks may be taken too).
   */
  async takeBackUnstarted(): Promise<boolean> {
    this.#send();
    for (let i = this.#chunks.length - 1; i >= 0; i--) {
      if (!this.#chunks[i]!.takeBack()) return false;
      await yieldToPendingIo();
    }
    return true;
  }

  #send(): void {
    if (this.#sent === this.#signables.length) return;
    this.#chunks.push(this.pool.start(this.#signables.slice(this.#sent)));
    this.#sent = this.#signables.length;
  }
}
