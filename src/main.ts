#!/usr/bin/env bun
// The entry point. A serving hearth first restarts itself with its runtime tuning
// (runtime-tuning.ts), before the rest of the program loads, which would load twice.
import { applyRuntimeTuning } from "./runtime-tuning.ts";

const args = process.argv.slice(2);
// The `run` command (cli/main.ts): no command word first, and not asking for help or the version.
const serving = (args.length === 0 || args[0]!.startsWith("-")) && !args.some((a) => ["-h", "--help", "-V", "--version"].includes(a));
if (serving) applyRuntimeTuning();
void import("./cli/main.ts").then(({ runCli }) => runCli(args));
