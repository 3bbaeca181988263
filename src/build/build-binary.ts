/**
 * Builds dist/hearth, the single executable: `npm run build`.
 *
 * Two passes. The first binary is started once as a new server starts (fresh
 * SQLite database, one request) with BUN_BYTECODE_ORDER_OUT, which records the
 * functions start-up runs; the second build places their bytecode together at
 * the front (bytecodeOrder), so a server maps ~2.5 MB less of the executable.
 * A server started differently still works: its other functions load as before.
 */
import { existsSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { startBinary } from "./start-binary.ts";

const root = resolve(import.meta.dir, "../..");
const outfile = resolve(root, "dist/hearth");
const orderFile = `${outfile}.order`;

/**
 * Start-up code runs once; compiling it costs JIT memory an idle server keeps
 * (~1 MB). The binary starts with tier-up thresholds this many times higher, and
 * main.ts restores the normal policy once the server is listening.
 */
const START_JIT_POLICY = 16;

async function build(bytecodeOrder: string | null): Promise<void> {
  const result = await Bun.build({
    entrypoints: [resolve(root, "src/main.ts")],
    compile: { outfile, jitPolicy: START_JIT_POLICY, bytecodeOrder },
    minify: true,
    sourcemap: "linked",
    bytecode: true,
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    process.exit(1);
  }
}

async function recordStartupOrder(): Promise<void> {
  rmSync(orderFile, { force: true });
  const server = await startBinary(outfile, { BUN_BYTECODE_ORDER_OUT: orderFile });
  await server.stop(); // the profile is written at exit
  if (!existsSync(orderFile)) throw new Error(`${outfile} wrote no ${orderFile}`);
}

const t0 = performance.now();
await build(null);
await recordStartupOrder();
await build(orderFile);
console.log(`built ${outfile} in ${((performance.now() - t0) / 1000).toFixed(1)} s (bytecode laid out by ${orderFile})`);
