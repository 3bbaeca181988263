// Ed25519 signatures for bulk event builds on a worker thread. A signature costs 15-30 µs,
// about half of building an event, and a room upgrade builds 10,000 bans in one go: the
// worker signs them on the second core while the event loop builds the chain (event ids
// do not depend on signatures). Started on first use, so a server that never builds in
// bulk never pays for the thread; if it cannot start, signing falls back to this thread.
import { getLogger } from "@logtape/logtape";
import { encodeBase64 } from "./base64.ts";
import { privateKeyDer, sign, type SigningKey } from "./signing.ts";

interface Pending {
  messages: Uint8Array[];
  resolve(signatures: string[]): void;
}

/** Signatures on their way from the worker. */
export interface SigningJob {
  /** The unpadded base64 signatures, in order. Never rejects. */
  readonly signatures: Promise<string[]>;
  /**
   * Makes the signatures on this thread instead if the worker has not started on them
   * (true), so a caller left waiting can share the worker's backlog.
   */
  takeBack(): boolean;
}

/** A job's claim word: who signs it. */
const UNCLAIMED = 0;
const CLAIMED_BY_WORKER = 1;
const CLAIMED_HERE = 2;

const log = () => getLogger(["hearth", "matrix", "signing"]);

export class SigningPool {
  #worker: Worker | undefined;
  #failed = false;
  #nextId = 0;
  readonly #pending = new Map<number, Pending>();

  constructor(private readonly key: SigningKey) {}

  /** Whether signatures are being made on the worker (started, not failed or closed). */
  get threaded(): boolean {
    return this.#worker !== undefined;
  }

  /** The unpadded base64 signatures of `messages`, in order. Never rejects. */
  sign(messages: Uint8Array[]): Promise<string[]> {
    return this.start(messages).signatures;
  }

  /** `sign`, with the option of taking the job back (see SigningJob). */
  start(messages: Uint8Array[]): SigningJob {
    const done = (signatures: string[]): SigningJob => ({ signatures: Promise.resolve(signatures), takeBack: () => false });
    if (messages.length === 0) return done([]);
    if (!this.#failed) {
      try {
        const worker = (this.#worker ??= this.#start());
        const id = this.#nextId++;
        const claim = new Int32Array(new SharedArrayBuffer(4));
        const signatures = new Promise<string[]>((resolve) => {
          this.#pending.set(id, { messages, resolve });
          // Referenced only while it owes answers: an idle pool never keeps the process alive.
          if (this.#pending.size === 1) worker.ref();
          // One transferred buffer: cloning hundreds of small arrays costs more than the copy.
          const { data, ends } = pack(messages);
          worker.postMessage({ id, data, ends, claim }, { transfer: [data.buffer as ArrayBuffer, ends.buffer as ArrayBuffer] });
        });
        return { signatures, takeBack: () => this.#takeBack(id, claim) };
      } catch (err) {
        this.#fail(err);
      }
    }
    return done(this.#signHere(messages));
  }

  #takeBack(id: number, claim: Int32Array): boolean {
    const pending = this.#pending.get(id);
    if (!pending || Atomics.compareExchange(claim, 0, UNCLAIMED, CLAIMED_HERE) !== UNCLAIMED) return false;
    // The worker answers it as skipped; that answer finds nothing pending.
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker?.unref();
    pending.resolve(this.#signHere(pending.messages));
    return true;
  }

  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#failed = true;
    this.#settleHere();
  }

  #signHere(messages: Uint8Array[]): string[] {
    return messages.map((m) => encodeBase64(sign(this.key, m)));
  }

  /** Answers whatever the worker still owed, on this thread. */
  #settleHere(): void {
    const owed = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of owed) p.resolve(this.#signHere(p.messages));
  }

  #start(): Worker {
    const worker = new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" })));
    worker.addEventListener("message", (e: MessageEvent) => {
      const { id, signatures, error } = e.data as { id: number; signatures?: string[]; error?: string };
      const pending = this.#pending.get(id);
      // Taken back (signed here), or answered already.
      if (!pending) return;
      this.#pending.delete(id);
      if (this.#pending.size === 0) worker.unref();
      if (signatures && signatures.length === pending.messages.length) return pending.resolve(signatures);
      log().warn("The signing worker failed, signing on the main thread: {error}", { error: error ?? "wrong answer" });
      pending.resolve(this.#signHere(pending.messages));
    });
    worker.addEventListener("error", (e) => this.#fail((e as ErrorEvent).message));
    worker.postMessage({ der: privateKeyDer(this.key.seed) });
    worker.unref();
    return worker;
  }

  #fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    log().warn("The signing worker is unavailable, signing on the main thread: {error}", { error: err });
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#settleHere();
  }
}

function pack(messages: Uint8Array[]): { data: Uint8Array; ends: Uint32Array } {
  const ends = new Uint32Array(messages.length);
  let total = 0;
  for (let i = 0; i < messages.length; i++) ends[i] = total += messages[i]!.length;
  const data = new Uint8Array(total);
  for (let i = 0; i < messages.length; i++) data.set(messages[i]!, i === 0 ? 0 : ends[i - 1]!);
  return { data, ends };
}

// A Blob URL rather than a file: it works the same in the single-file executable.
const WORKER_SOURCE = `
import { createPrivateKey, sign } from "node:crypto";
let key;
self.onmessage = (e) => {
  const m = e.data;
  if (m.der) {
    key = createPrivateKey({ key: Buffer.from(m.der), format: "der", type: "pkcs8" });
    return;
  }
  // Taken back by the main thread: it signs this one itself.
  if (Atomics.compareExchange(m.claim, 0, ${UNCLAIMED}, ${CLAIMED_BY_WORKER}) !== ${UNCLAIMED}) {
    postMessage({ id: m.id, skipped: true });
    return;
  }
  try {
    const signatures = [];
    let start = 0;
    for (const end of m.ends) {
      signatures.push(sign(null, m.data.subarray(start, end), key).toString("base64").replace(/=+$/, ""));
      start = end;
    }
    postMessage({ id: m.id, signatures });
  } catch (err) {
    postMessage({ id: m.id, error: String(err) });
  }
};
`;
