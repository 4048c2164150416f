// The tests' one parser of the Prometheus text exposition format (what /metrics returns).
// (parse-prometheus-text-format, the package on npm, merges the series of a labelled histogram
// into one, so it cannot read ours.) A line that is not a comment, a HELP/TYPE line or a
// well-formed sample throws, and label values are unescaped. Strict (the default), it also
// checks what a good exposition promises: every sample belongs to a declared family, a series
// appears only once, and histogram buckets are cumulative.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  help: string;
  readonly samples: Sample[];
}

export interface Exposition {
  readonly families: ReadonlyMap<string, Family>;
  readonly samples: readonly Sample[];
  /** Family name -> type, from the TYPE lines. */
  readonly types: ReadonlyMap<string, string>;
  /** Series names a PromQL query can select: from the TYPE lines (so a labelled histogram with no observation yet counts: `_bucket/_sum/_count`), and every sample's name. */
  readonly series: ReadonlySet<string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(token: string, where: string): number {
  // Prometheus parses floats like Go (case-insensitive NaN); prom-client writes "Nan" for an empty event-loop histogram.
  if (/^nan$/i.test(token)) return NaN;
  if (token === "+Inf" || token === "Inf") return Infinity;
  if (token === "-Inf") return -Infinity;
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(token)) throw new Error(`${where}: bad value ${JSON.stringify(token)}`);
  return Number(token);
}

function parseSampleLine(line: string, where: string): Sample {
  const nameMatch = METRIC_NAME.exec(line);
  if (!nameMatch) throw new Error(`${where}: no metric name`);
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    for (;;) {
      if (line[i] === "}") {
        i++;
        break;
      }
      const ln = LABEL_NAME.exec(line.slice(i));
      if (!ln) throw new Error(`${where}: bad label name at column ${i}`);
      i += ln[0].length;
      if (line[i] !== "=" || line[i + 1] !== '"') throw new Error(`${where}: expected =" after label ${ln[0]}`);
      i += 2;
      let value = "";
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error(`${where}: unterminated label value`);
        if (c === '"') {
          i++;
          break;
        }
        if (c === "\\") {
          const e = line[i + 1];
          if (e === "\\") value += "\\";
          else if (e === '"') value += '"';
          else if (e === "n") value += "\n";
          else throw new Error(`${where}: bad escape \\${e ?? ""}`);
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      if (ln[0] in labels) throw new Error(`${where}: label ${ln[0]} repeated`);
      labels[ln[0]] = value;
      if (line[i] === ",") i++;
      else if (line[i] !== "}") throw new Error(`${where}: expected , or } after label ${ln[0]}`);
    }
  }
  if (line[i] !== " ") throw new Error(`${where}: expected a space before the value`);
  const rest = line.slice(i + 1).split(" ");
  if (rest.length < 1 || rest.length > 2 || rest.some((t) => t === "")) throw new Error(`${where}: expected "value [timestamp]"`);
  if (rest.length === 2 && !/^-?\d+$/.test(rest[1])) throw new Error(`${where}: bad timestamp`);
  return { name, labels, value: parseValue(rest[0], where) };
}

/** The family a sample line belongs to: its own name, or a histogram/summary base name. */
function familyOfSample(families: Map<string, Family>, name: string): Family | undefined {
  const own = families.get(name);
  if (own !== undefined) return own;
  for (const [suffix, types] of [["_bucket", ["histogram"]], ["_sum", ["histogram", "summary"]], ["_count", ["histogram", "summary"]]] as const) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f !== undefined && (types as readonly string[]).includes(f.type)) return f;
  }
  return undefined;
}

const seriesKey = (s: Sample): string =>
  `${s.name}{${Object.keys(s.labels).sort().map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(",")}}`;

/** Parses a Prometheus text exposition (see the file comment); `strict: false` skips the family, duplicate and bucket checks. */
export function parseExposition(text: string, { strict = true }: { strict?: boolean } = {}): Exposition {
  const families = new Map<string, Family>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = strict ? lines[n] : lines[n].trim();
    const where = `line ${n + 1}`;
    if (line === "") continue;
    if (line.startsWith("#")) {
      readMeta(line, where, families);
      continue;
    }
    const s = parseSampleLine(line, where);
    samples.push(s);
    const family = familyOfSample(families, s.name);
    family?.samples.push(s);
    if (!strict) continue;
    if (family === undefined) throw new Error(`${where}: sample ${s.name} has no # TYPE`);
    const key = seriesKey(s);
    if (seen.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    seen.add(key);
  }
  if (strict) for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  const types = new Map([...families.values()].map((f) => [f.name, f.type]));
  return { families, samples, types, series: seriesNames(families, samples) };
}

/** A HELP or TYPE line into `families` (other comments are ignored). */
function readMeta(line: string, where: string, families: Map<string, Family>): void {
  const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
  if (!m) return; // a plain comment
  const [, kind, name, rest = ""] = m;
  const existing = families.get(name);
  if (kind === "HELP") {
    if (existing !== undefined) existing.help = rest;
    else families.set(name, { name, type: "untyped", help: rest, samples: [] });
    return;
  }
  if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${JSON.stringify(rest)}`);
  if (existing !== undefined && existing.samples.length > 0) throw new Error(`${where}: TYPE after samples of ${name}`);
  families.set(name, { name, type: rest, help: existing?.help ?? "", samples: existing?.samples ?? [] });
}

function seriesNames(families: ReadonlyMap<string, Family>, samples: readonly Sample[]): Set<string> {
  const series = new Set<string>();
  for (const f of families.values()) {
    const suffixes = f.type === "histogram" ? ["_bucket", "_sum", "_count"] : f.type === "summary" ? ["", "_sum", "_count"] : [""];
    for (const suffix of suffixes) series.add(f.name + suffix);
  }
  for (const s of samples) series.add(s.name);
  return series;
}

/** Buckets of each labelled histogram are cumulative and end in +Inf == _count. */
function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = seriesKey({ name: f.name, labels: rest, value: 0 });
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      g.buckets.push([parseValue(le, `${f.name} le`), s.value]);
    } else if (s.name === `${f.name}_count`) {
      g.count = s.value;
    }
  }
  for (const [key, g] of groups) {
    g.buckets.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < g.buckets.length; i++) {
      if (g.buckets[i][1] < g.buckets[i - 1][1]) throw new Error(`${key}: buckets not cumulative`);
    }
    const last = g.buckets.at(-1);
    if (last === undefined || last[0] !== Infinity || last[1] !== g.count) throw new Error(`${key}: +Inf bucket missing or not equal to _count`);
  }
}

/** Sum of the samples named `name` whose labels include `labels`. */
export function total(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of e.samples) {
    if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** The cumulative count of `name`'s histogram at bucket bound `le` (summed over other labels). */
export function bucketCount(e: Exposition, name: string, le: number): number {
  let sum = 0;
  for (const s of e.samples) if (s.name === `${name}_bucket` && Number(s.labels.le) === le) sum += s.value;
  return sum;
}

/** The value of the first sample named `name` whose labels include `labels`, or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const matches = (s: Sample): boolean => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return parseExposition(text, { strict: false }).samples.find(matches)?.value;
}
