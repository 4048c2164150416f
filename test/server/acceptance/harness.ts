// Shared by the telemetry acceptance tests (issue 4, "Tests on loopback, against the real
// server"): the real server started with startGame (game and metrics listeners on free loopback
// ports, log lines captured), a strict parser of the Prometheus text format, an OTLP/JSON
// decoder for what the server's exporter posts, a WebSocket client that can send arbitrary
// HTTP headers, and a play loop in which every player strafes and shoots the spawn wall.
import { randomBytes } from "node:crypto";
import type { DestinationStream } from "pino";
import WebSocket from "ws";
import type { StartServerOptions } from "../../../src/server/app.ts";
import { Bot } from "../../../src/server/bots/bot.ts";
import type { BotOptions } from "../../../src/server/bots/bot.ts";
import { startGame } from "../../../src/server/bootstrap.ts";
import type { RunningGame } from "../../../src/server/bootstrap.ts";
import type { TelemetryOptions } from "../../../src/server/telemetry/index.ts";
import {
  ByteWriter,
  createSelfState,
  encodeFire,
  encodeHello,
  encodeInput,
  PROTOCOL_VERSION,
  ServerDecoder,
  ServerMsg,
} from "../../../src/shared/protocol/index.ts";
import type { BatchMsg, CarveMsg, ServerMessage, WelcomeMsg } from "../../../src/shared/protocol/index.ts";
import { MOVE } from "../../../src/shared/physics/movement.ts";
import { generateWorld, SPAWN_WALL_DID } from "../../../src/shared/voxel/worldgen.ts";
import { SMALL_WORLD } from "../support.ts";
import { captureLines } from "../telemetry/helpers.ts";
import type { LogLine, Receiver } from "../telemetry/helpers.ts";

export { captureLines, startBlackHole, startReceiver } from "../telemetry/helpers.ts";
export type { LogLine, Receiver } from "../telemetry/helpers.ts";

// ---------------------------------------------------------------------------------------------
// Cleanup: every server, client and receiver a test starts is stopped by the file's afterAll.

const cleanups: (() => Promise<unknown> | void)[] = [];

/** Registers a cleanup step; steps run newest first. */
export function onCleanup(fn: () => Promise<unknown> | void): void {
  cleanups.push(fn);
}

/** Runs (and forgets) every registered cleanup; errors are collected and rethrown at the end. */
export async function cleanup(): Promise<void> {
  const errors: unknown[] = [];
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, "cleanup failed");
}

// ---------------------------------------------------------------------------------------------
// The real server.

export interface AcceptanceGame extends RunningGame {
  readonly logs: ReturnType<typeof captureLines>;
  /** http://127.0.0.1:PORT of the metrics listener. */
  readonly metricsUrl: string;
  /** GET /metrics as text. */
  scrape(): Promise<string>;
}

/**
 * startGame with `env` (METRICS_ADDR defaults to 127.0.0.1:0, STORE to memory), the game on a free loopback port
 * with the small world and a real mesh worker thread, and every log line captured.
 */
export async function startAcceptanceGame(
  env: Record<string, string>,
  opts: { server?: Omit<StartServerOptions, "zone" | "shard">; telemetry?: TelemetryOptions } = {},
): Promise<AcceptanceGame> {
  const logs = captureLines();
  const game = await startGame(
    { METRICS_ADDR: "127.0.0.1:0", STORE: "memory", ...env },
    {
      server: { host: "127.0.0.1", port: 0, ...SMALL_WORLD, npcCount: 6, meshWorkers: 1, spawnSpread: 3, ...opts.server },
      telemetry: { logDestination: logs as unknown as DestinationStream, ...opts.telemetry },
    },
  );
  onCleanup(() => game.stop("test cleanup"));
  const metricsUrl = game.telemetry.metricsServer?.url;
  if (metricsUrl === undefined) throw new Error("the metrics listener did not start");
  return {
    ...game,
    logs,
    metricsUrl,
    scrape: async () => {
      const res = await fetch(`${metricsUrl}/metrics`);
      if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
      return res.text();
    },
  };
}

/** Polls `check` every 20 ms until it returns a truthy value; rejects after `ms` naming `what`. */
export async function waitUntil<T>(what: string, ms: number, check: () => T | false | null | undefined | Promise<T | false | null | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// ---------------------------------------------------------------------------------------------
// Prometheus text exposition format, parsed strictly: a line that is not a comment, a HELP/TYPE
// line or a well-formed sample throws, label values are unescaped, every sample must belong to
// a declared family, a series may appear only once, and histogram buckets must be cumulative.

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
function familyOf(families: Map<string, Family>, name: string): Family | undefined {
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

/** Parses a Prometheus text exposition strictly (see the section comment). */
export function parseExposition(text: string): Exposition {
  const families = new Map<string, Family>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const where = `line ${n + 1}`;
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest = ""] = m;
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${JSON.stringify(rest)}`);
        const existing = families.get(name);
        if (existing !== undefined && existing.samples.length > 0) throw new Error(`${where}: TYPE after samples of ${name}`);
        families.set(name, { name, type: rest, help: existing?.help ?? "", samples: existing?.samples ?? [] });
      } else {
        const f = families.get(name);
        if (f !== undefined) f.help = rest;
        else families.set(name, { name, type: "untyped", help: rest, samples: [] });
      }
      continue;
    }
    const s = parseSampleLine(line, where);
    const family = familyOf(families, s.name);
    if (family === undefined) throw new Error(`${where}: sample ${s.name} has no # TYPE`);
    const key = seriesKey(s);
    if (seen.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    seen.add(key);
    family.samples.push(s);
    samples.push(s);
  }
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return { families, samples };
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

// ---------------------------------------------------------------------------------------------
// OTLP/HTTP JSON, as posted by @opentelemetry/exporter-trace-otlp-http.

export type AttrValue = string | number | boolean;

export interface DecodedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly resource: Readonly<Record<string, AttrValue>>;
  readonly startNs: bigint;
  readonly endNs: bigint;
}

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttr {
  key: string;
  value: OtlpAnyValue;
}
interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpAttr[];
}
interface OtlpJsonRequest {
  resourceSpans: { resource?: { attributes?: OtlpAttr[] }; scopeSpans: { spans?: OtlpJsonSpan[] }[] }[];
}

/** OTLP/JSON ids are lowercase hex; base64 (the protobuf-JSON default) is accepted too. */
function hexId(id: string | undefined): string | undefined {
  if (id === undefined || id === "") return undefined;
  return /^[0-9a-f]+$/.test(id) ? id : Buffer.from(id, "base64").toString("hex");
}

function attrMap(list: readonly OtlpAttr[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const { key, value: v } of list ?? []) {
    const x = v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue;
    if (x === undefined) throw new Error(`attribute ${key}: unsupported OTLP value ${JSON.stringify(v)}`);
    out[key] = x;
  }
  return out;
}

/** Decodes every request the receiver got; throws if one was not an OTLP/JSON POST to /v1/traces. */
export function decodeOtlp(requests: Receiver["requests"]): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  for (const req of requests) {
    if (req.path !== "/v1/traces") throw new Error(`OTLP request to ${req.path}, expected /v1/traces`);
    const type = String(req.headers["content-type"] ?? "");
    if (!type.startsWith("application/json")) throw new Error(`OTLP request with content-type ${type}, expected application/json`);
    const body = JSON.parse(req.body.toString("utf8")) as OtlpJsonRequest;
    for (const rs of body.resourceSpans) {
      const resource = attrMap(rs.resource?.attributes);
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans ?? []) {
          spans.push({
            traceId: hexId(s.traceId) ?? "",
            spanId: hexId(s.spanId) ?? "",
            parentSpanId: hexId(s.parentSpanId),
            name: s.name,
            attrs: attrMap(s.attributes),
            resource,
            startNs: BigInt(s.startTimeUnixNano),
            endNs: BigInt(s.endTimeUnixNano),
          });
        }
      }
    }
  }
  return spans;
}

/** Every string value in a span: its attributes (keys and values) and resource attributes. */
export function spanStrings(s: DecodedSpan): string[] {
  return [s.name, ...Object.entries(s.attrs).flat(), ...Object.entries(s.resource).flat()].map(String);
}

/** Random W3C ids (lowercase hex) for a traceparent the test makes up. */
export function randomTraceparent(): { traceId: string; spanId: string; header: string } {
  const hex = (n: number): string => randomBytes(n).toString("hex");
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

// ---------------------------------------------------------------------------------------------
// Players: the real Bot, or a HeaderClient (a raw WebSocket that can send any HTTP headers and
// query string, to check that nothing a client says about itself reaches telemetry).

/** What the play loop needs from a connected player. */
export interface Player {
  readonly welcome: WelcomeMsg | null;
  readonly closed: unknown;
  readonly carves: CarveMsg[];
  input(forward: number, right: number, yaw: number, opts?: { dt?: number }): number;
  fire(dx: number, dy: number, dz: number, opts?: { traceparent?: string | null }): number;
  eye(): [number, number, number];
}

/**
 * What a provocative client says about itself: a name, an e-mail, tokens and an IP in the query
 * string and the handshake headers, a made-up resume token, and a fire traceparent that is not
 * a traceparent. None of it may reach a log line, a metric label or a span.
 */
export const PROVOCATION = {
  query: "?name=alice_zq7&email=alice.zq7%40example.com&token=tok_zq7_query",
  headers: {
    "User-Agent": "ZqBrowser/7.0 (alice.zq7@example.com)",
    "X-Forwarded-For": "203.0.113.7",
    "X-Real-IP": "203.0.113.7",
    "Authorization": "Bearer tok_zq7_bearer",
    "Cookie": "sid=cookie_zq7_secret",
    "X-Player-Name": "alice_zq7",
  },
  resumeToken: "c0ffee00c0ffee00c0ffee00c0ffee00",
  traceparent: "00-name=alice_zq7;token=tok_zq7_tp",
  /** Substrings that must appear nowhere in telemetry. */
  needles: [
    "alice_zq7", "alice.zq7", "zq7%40", "tok_zq7", "cookie_zq7", "203.0.113.7", "ZqBrowser", "c0ffee00c0ffee00",
  ],
} as const;

/** A minimal game client over `ws` with caller-chosen handshake headers. */
export class HeaderClient implements Player {
  welcome: WelcomeMsg | null = null;
  closed: { code: number } | null = null;
  joined = false;
  readonly carves: CarveMsg[] = [];
  private readonly self = createSelfState();
  private readonly decoder = new ServerDecoder();
  private readonly w = new ByteWriter(256);
  private seq = 0;
  private nextCommand = 1;

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = "nodebuffer";
    ws.on("message", (data: Buffer) => {
      this.decoder.decodeFrame(data, this.onMessage);
    });
    ws.on("close", (code: number) => {
      this.closed = { code };
    });
    ws.on("error", () => {});
  }

  /** Connects with `headers`, says hello (optionally with a made-up resume token) and waits for the join. */
  static async connect(url: string, headers: Record<string, string>, resumeToken: string | null = null): Promise<HeaderClient> {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    const c = new HeaderClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.send(encodeHello(c.w, { version: PROTOCOL_VERSION, resumeToken }).slice());
    await waitUntil("the header client's join", 10_000, () => c.joined || c.closed !== null);
    if (!c.joined) throw new Error(`header client refused: ${JSON.stringify(c.closed)}`);
    onCleanup(() => c.close());
    return c;
  }

  private readonly onMessage = (m: Exclude<ServerMessage, BatchMsg>): void => {
    if (m.type === ServerMsg.Welcome) this.welcome = m;
    else if (m.type === ServerMsg.Snapshot) {
      Object.assign(this.self, m.self);
      this.joined = true;
    } else if (m.type === ServerMsg.Delta && m.hasSelf) Object.assign(this.self, m.self);
    else if (m.type === ServerMsg.Carve) this.carves.push(m);
  };

  input(forward: number, right: number, yaw: number, opts: { dt?: number } = {}): number {
    const seq = ++this.seq;
    this.send(encodeInput(this.w, { seq, dt: opts.dt ?? 1 / 30, forward, right, yaw, pitch: 0, buttons: 0 }));
    return seq;
  }

  fire(dx: number, dy: number, dz: number, opts: { traceparent?: string | null } = {}): number {
    const commandId = this.nextCommand++;
    const [ox, oy, oz] = this.eye();
    this.send(encodeFire(this.w, { commandId, ox, oy, oz, dx, dy, dz, traceparent: opts.traceparent ?? null }));
    return commandId;
  }

  eye(): [number, number, number] {
    return [this.self.x, this.self.y + MOVE.eyeHeight, this.self.z];
  }

  private send(bytes: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes.slice());
  }

  async close(): Promise<void> {
    if (this.closed !== null) return;
    const done = new Promise<void>((r) => this.ws.once("close", () => r()));
    this.ws.close(1000, "bye");
    await Promise.race([done, sleep(2000)]);
    if (this.closed === null) this.ws.terminate();
  }
}

/** Connects `n` real bots (no world copy unless asked), closed by cleanup(). */
export async function connectBots(url: string, n: number, opts: Omit<BotOptions, "url"> = {}): Promise<Bot[]> {
  const bots = await Promise.all(Array.from({ length: n }, () => Bot.connect({ url, trackWorld: false, ...opts })));
  for (const b of bots) onCleanup(() => b.close());
  return bots;
}

/** The spawn wall's box in the test world (generated once per file, ~0.3 s). */
export interface WallBox {
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
}

let wallCache: WallBox | undefined;

/** The spawn wall (did SPAWN_WALL_DID) of the SMALL_WORLD the acceptance servers run. */
export function spawnWall(): WallBox {
  if (wallCache === undefined) {
    const d = generateWorld(SMALL_WORLD).destructibles.find((x) => x.did === SPAWN_WALL_DID);
    if (d === undefined) throw new Error("no spawn wall in the test world");
    wallCache = { min: d.min, max: d.max };
  }
  return wallCache;
}

/**
 * Direction from `eye` to a random point of the wall's face towards the spawn (the face
 * test/server/support.ts aims at), anywhere on it so the wall lasts under sustained fire.
 */
export function aimAtWall(wall: WallBox, eye: readonly [number, number, number], rng: () => number = Math.random): [number, number, number] {
  const tx = wall.min[0] + 1 + rng() * (wall.max[0] - wall.min[0] - 1);
  const ty = wall.min[1] + 1 + rng() * (wall.max[1] - wall.min[1] - 1);
  const tz = wall.max[2] + 1;
  return [tx - eye[0], ty - eye[1], tz - eye[2]];
}

/** A running play loop. */
export interface PlayLoop {
  /** Shots fired so far. */
  shots(): number;
  stop(): void;
}

/**
 * Every player strafes left and right (one second each way) at 30 inputs per second and fires
 * at the spawn wall every `fireEveryMs` (staggered), until stop().
 */
export function play(players: readonly Player[], opts: { fireEveryMs?: number; traceparent?: (p: Player) => string | null } = {}): PlayLoop {
  const wall = spawnWall();
  const fireEvery = opts.fireEveryMs ?? 300;
  const start = performance.now();
  const nextFire = players.map((_, i) => start + (i * fireEvery) / Math.max(1, players.length));
  let shots = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const right = Math.floor((now - start) / 1000) % 2 === 0 ? 1 : -1;
    players.forEach((p, i) => {
      if (p.closed !== null || p.welcome === null) return;
      p.input(0, right, 0);
      if (now >= nextFire[i]) {
        nextFire[i] = now + fireEvery;
        const [dx, dy, dz] = aimAtWall(wall, p.eye());
        p.fire(dx, dy, dz, { traceparent: opts.traceparent?.(p) ?? null });
        shots++;
      }
    });
  }, 1000 / 30);
  const stop = (): void => clearInterval(timer);
  onCleanup(stop);
  return { shots: () => shots, stop };
}

/** Log lines as parsed JSON (throws on a line that is not JSON). */
export function jsonLines(logs: { lines: string[] }): LogLine[] {
  return logs.lines.map((l, i) => {
    try {
      return JSON.parse(l) as LogLine;
    } catch {
      throw new Error(`log line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
    }
  });
}
