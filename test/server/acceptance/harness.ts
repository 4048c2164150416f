// Shared by the telemetry acceptance tests (issue 4, "Tests on loopback, against the real
// server"): the real server started with startGame (game and metrics listeners on free loopback
// ports, log lines captured), a strict parser of the Prometheus text format, an OTLP/JSON
// decoder for what the server's exporter posts, a bot that sends arbitrary HTTP headers, and a
// play loop in which every player strafes and shoots the spawn wall.
import { randomBytes } from "node:crypto";
import type { DestinationStream } from "pino";
import type { StartServerOptions } from "../../../src/server/app.ts";
import { Bot } from "../../../src/server/bots/bot.ts";
import type { BotOptions } from "../../../src/server/bots/bot.ts";
import { startGame } from "../../../src/server/bootstrap.ts";
import type { RunningGame } from "../../../src/server/bootstrap.ts";
import type { TelemetryOptions } from "../../../src/server/telemetry/index.ts";
import type { CarveMsg, WelcomeMsg } from "../../../src/shared/protocol/index.ts";
import { generateWorld, SPAWN_WALL_DID } from "../../../src/shared/voxel/worldgen.ts";
import { SMALL_WORLD } from "../support.ts";
import { captureLines } from "../telemetry/helpers.ts";
import type { LogLine, Receiver } from "../telemetry/helpers.ts";
import { otlpRequestBody } from "../../otlp-request.ts";

export { startBlackHole, startReceiver } from "../telemetry/helpers.ts";
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

/** Decodes every request the receiver got; throws if one was not an OTLP (protobuf or JSON) POST to /v1/traces. */
export function decodeOtlp(requests: Receiver["requests"]): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  for (const req of requests) {
    if (req.path !== "/v1/traces") throw new Error(`OTLP request to ${req.path}, expected /v1/traces`);
    const body = otlpRequestBody<OtlpJsonRequest>(req);
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
// Players: the real Bot, some of them HeaderClients (bots that send any HTTP headers and query
// string, to check that nothing a client says about itself reaches telemetry).

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

/**
 * A client that says things about itself: the real bot (the page's own network client) with
 * caller-chosen handshake headers and, optionally, a made-up resume token in its first hello.
 */
export type HeaderClient = Bot;
export const HeaderClient = {
  /** Connects with `headers` (and `resumeToken`), waits for the join; closed by cleanup(). */
  async connect(url: string, headers: Record<string, string>, resumeToken: string | null = null): Promise<Bot> {
    const bot = await Bot.connect({ url, trackWorld: false, headers, resumeToken: resumeToken ?? undefined, timeoutMs: 10_000 });
    onCleanup(() => bot.close());
    return bot;
  },
};

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
