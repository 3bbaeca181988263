/** Terminal prompts for the CLI: prompts go to stderr so stdout carries only results. */

/** Reads one line from stdin after showing `question`. */
export async function readLine(question: string): Promise<string> {
  process.stderr.write(question);
  return readUntilNewline(false);
}

/** Like readLine, but the typed characters are not echoed (passwords). */
export async function readHidden(question: string): Promise<string> {
  process.stderr.write(question);
  const line = await readUntilNewline(true);
  process.stderr.write("\n");
  return line;
}

function readUntilNewline(hidden: boolean): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let line = "";
    const raw = hidden && stdin.isTTY;
    if (raw) stdin.setRawMode(true);
    const finish = (result: string | Error) => {
      stdin.off("data", onData);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\u0003") return finish(new Error("interrupted"));
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish(line);
        if (ch === "\u007f" || ch === "\b") line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}
