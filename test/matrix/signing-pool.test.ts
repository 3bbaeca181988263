import { expect, test } from "bun:test";
import { encodeBase64 } from "../../src/matrix/base64.ts";
import { SigningPool } from "../../src/matrix/signing-pool.ts";
import { generateSigningKey, sign, verify } from "../../src/matrix/signing.ts";

const messages = (n: number, tag: string) => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`{"event":${i},"tag":"${tag} ✓"}`));

test("the worker's signatures are the key's own ed25519 signatures, in order", async () => {
  const key = generateSigningKey();
  const pool = new SigningPool(key);
  try {
    const batch = messages(300, "a");
    // Two requests in flight at once come back to their own callers.
    const [first, second] = await Promise.all([pool.sign(batch.slice(0, 200)), pool.sign(batch.slice(200))]);
    expect(pool.threaded).toBe(true);
    const all = [...first, ...second];
    expect(all).toHaveLength(300);
    for (let i = 0; i < batch.length; i++) {
      expect(all[i]).toBe(encodeBase64(sign(key, batch[i]!)));
      expect(verify(key.publicKey, batch[i]!, Buffer.from(all[i]!, "base64"))).toBe(true);
    }
    expect(await pool.sign([])).toEqual([]);
  } finally {
    pool.close();
  }
});

test("after close, signing goes on, on the calling thread", async () => {
  const key = generateSigningKey();
  const pool = new SigningPool(key);
  await pool.sign(messages(1, "warm"));
  pool.close();
  expect(pool.threaded).toBe(false);
  const batch = messages(5, "b");
  expect(await pool.sign(batch)).toEqual(batch.map((m) => encodeBase64(sign(key, m))));
});

test("a job the worker has not started can be taken back and signed on the calling thread", async () => {
  const key = generateSigningKey();
  const pool = new SigningPool(key);
  try {
    await pool.sign(messages(1, "warm"));
    // The worker is busy with the first job when the second is taken back.
    const busy = pool.start(messages(1500, "busy"));
    const queued = messages(50, "queued");
    const second = pool.start(queued);
    expect(second.takeBack()).toBe(true);
    expect(second.takeBack()).toBe(false);
    expect(await second.signatures).toEqual(queued.map((m) => encodeBase64(sign(key, m))));
    const first = await busy.signatures;
    expect(first).toHaveLength(1500);
    expect(busy.takeBack()).toBe(false);
    expect(verify(key.publicKey, messages(1500, "busy")[1499]!, Buffer.from(first[1499]!, "base64"))).toBe(true);
    // The worker goes on with later jobs after answering the taken one as skipped.
    expect(await pool.sign(messages(3, "after"))).toEqual(messages(3, "after").map((m) => encodeBase64(sign(key, m))));
  } finally {
    pool.close();
  }
});
