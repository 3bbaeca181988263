/**
 * Two versions of Hearth compared side by side: each checkout's homeserver runs in its own
 * process (SQLite, a room of 50 senders), and wrk sends to one, then the other, switching
 * every few seconds, so a drift of the machine's speed (on the CI VMs, a fifth within the
 * hour) hits both alike. Alternate runs of bench/events.ts could not tell 5% apart; this
 * can. Prints each version's median and mean sends per second per concurrency.
 *
 *   git worktree add /tmp/old <commit> && ln -s "$PWD/node_modules" /tmp/old/node_modules
 *   ./node_modules/.bin/bun bench/side-by-side.ts /tmp/old .
 *
 * Env: BENCH_CONCURRENCY (default "1,10"), BENCH_ROUNDS (default 8), BENCH_SECONDS (per
 * run, default 3). A checkout given as `dir#NAME` runs with NAME=1 in its environment,
 * `dir#NAME=VALUE,OTHER=VALUE` with those (to compare a switch within one version). Needs
 * wrk (apt install wrk). Like every bench script it runs with Hearth's runtime tuning
 * (src/runtime-tuning.ts), which the servers inherit; to compare the tuning itself, run
 * it with HEARTH_RUNTIME_TUNED=1 and give one checkout the settings after `#`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeSendScript } from "./support/server.ts";
import { applyRuntimeTuning } from "../src/runtime-tuning.ts";

applyRuntimeTuning();

interface Child {
  label: string;
  proc: ReturnType<typeof Bun.spawn>;
  baseUrl: string;
  roomId: string;
  tokens: string[];
  script: string;
}

if (process.argv[2] === "--serve") {
  // A child: this checkout's bench server, answering on stdout with where it listens.
  const root = process.argv[3]!;
  const { roomOfSenders, startBenchServer } = (await import(join(root, "bench/support/server.ts"))) as typeof import("./support/server.ts");
  const dir = mkdtempSync(join(tmpdir(), "hearth-side-"));
  const server = await startBenchServer("side", { name: "sqlite3", args: { database: join(dir, "side.db") } }, dir);
  const { roomId, tokens } = await roomOfSenders(server.baseUrl, 50);
  console.log(JSON.stringify({ baseUrl: server.baseUrl, roomId, tokens }));
  process.on("SIGTERM", () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
  setInterval(() => {}, 1 << 30);
} else {
  await compare(process.argv.slice(2));
}

async function compare(versions: string[]): Promise<void> {
  if (versions.length < 2) throw new Error("usage: bun bench/side-by-side.ts <checkout> <checkout>[#ENV_NAME] ...");
  const wrk = Bun.which("wrk");
  if (!wrk) throw new Error("bench/side-by-side.ts needs wrk (apt install wrk)");
  const levels = (process.env.BENCH_CONCURRENCY ?? "1,10").split(",").map(Number);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 8);
  const seconds = Number(process.env.BENCH_SECONDS ?? 3);
  const scripts = mkdtempSync(join(tmpdir(), "hearth-side-wrk-"));
  const children: Child[] = [];
  try {
    for (const [i, version] of versions.entries()) children.push(await startChild(version, join(scripts, `send${i}.lua`)));
    const run = async (c: Child, connections: number, s: number) => {
      await writeSendScript(c.script, c.roomId, c.tokens);
      const proc = Bun.spawn([wrk, "-t1", `-c${connections}`, `-d${s}s`, "-s", c.script, c.baseUrl], { stdout: "pipe" });
      const out = await new Response(proc.stdout).text();
      return Number(out.match(/(\d+) requests in/)?.[1] ?? 0) / s;
    };
    for (const c of children) await run(c, 10, 6); // warm-up
    const rates = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (const connections of levels) {
        // Every other round in reverse order, so neither version always goes first.
        for (const c of r % 2 === 0 ? children : [...children].reverse()) {
          const key = `${connections}\u0000${c.label}`;
          rates.set(key, [...(rates.get(key) ?? []), await run(c, connections, seconds)]);
        }
      }
    }
    console.log("| senders | version | median | mean | runs |\n|---|---|---|---|---|");
    for (const [key, values] of rates) {
      const [connections, label] = key.split("\u0000");
      const sorted = [...values].sort((a, b) => a - b);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      console.log(`| ${connections} | ${label} | ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} | ${mean.toFixed(0)} | ${values.map((v) => v.toFixed(0)).join(" ")} |`);
    }
  } finally {
    for (const c of children) c.proc.kill();
    rmSync(scripts, { recursive: true, force: true });
  }
}

function envSetting(flag: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const setting of flag.split(",")) {
    const at = setting.indexOf("=");
    if (at < 0) env[setting] = "1";
    else env[setting.slice(0, at)] = setting.slice(at + 1);
  }
  return env;
}

async function startChild(version: string, script: string): Promise<Child> {
  const [dir, flag] = version.split("#") as [string, string | undefined];
  const root = resolve(dir);
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "side-by-side.ts"), "--serve", root], {
    cwd: root,
    env: { ...process.env, ...(flag ? envSetting(flag) : {}) },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server of ${version} ended before it was ready`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const ready = JSON.parse(text.slice(0, text.indexOf("\n"))) as { baseUrl: string; roomId: string; tokens: string[] };
  return { label: version, proc, script, ...ready };
}
