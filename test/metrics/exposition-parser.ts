/** A small parser for the Prometheus text format, so tests compare values rather than formatting. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  samples: ParsedSample[];
  /** Family name → declared type. */
  types: Map<string, string>;
}

export function parseExposition(text: string): ParsedExposition {
  const samples: ParsedSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      types.set(name!, type!);
      continue;
    }
    if (line.startsWith("#")) continue;
    samples.push(parseSampleLine(line));
  }
  return { samples, types };
}

function parseSampleLine(line: string): ParsedSample {
  const nameEnd = line.search(/[{ ]/);
  const name = line.slice(0, nameEnd);
  const labels: Record<string, string> = {};
  let i = nameEnd;
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const eq = line.indexOf("=", i);
      const key = line.slice(i, eq).trim();
      i = eq + 2; // skip ="
      let value = "";
      while (line[i] !== '"') {
        if (line[i] === "\\") {
          const next = line[i + 1];
          value += next === "n" ? "\n" : next;
          i += 2;
        } else {
          value += line[i++];
        }
      }
      labels[key] = value;
      i++; // closing quote
      if (line[i] === ",") i++;
    }
    i++;
  }
  const raw = line.slice(i).trim().split(" ")[0]!;
  const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
  return { name, labels, value };
}

/** Samples named `name` whose labels include every pair of `labels`. */
export function find(parsed: ParsedExposition, name: string, labels: Record<string, string> = {}): ParsedSample[] {
  return parsed.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample matching, or undefined when there is none; throws when several match. */
export function valueOf(parsed: ParsedExposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = find(parsed, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** Sum over all samples matching. */
export function sumOf(parsed: ParsedExposition, name: string, labels: Record<string, string> = {}): number {
  return find(parsed, name, labels).reduce((a, s) => a + s.value, 0);
}
