// The server's one configuration: the game settings below and the telemetry settings
// (telemetry/config.ts), each a zod schema with one environment variable at most, so every
// setting has one owner. Built from the defaults, then the JSON file (`--telemetry-config <path>`
// or TELEMETRY_CONFIG; its keys are the field names), then the environment, then what the caller
// fixes in code (a test's port 0). A bad value fails startup with a ConfigError that names where
// it came from and the value.
import { z } from "../shared/zod.ts";
import { DEFAULT_WORLD_GEN } from "../shared/voxel/worldgen.ts";
import { ConfigError, numberText, parseSetting, pathFromArgv, readJsonObject } from "./settings.ts";
import type { Setting } from "./settings.ts";
import { DEFAULT_TELEMETRY_CONFIG, TELEMETRY_SETTINGS } from "./telemetry/config.ts";
import type { TelemetryConfig } from "./telemetry/config.ts";
import { DEFAULT_STORE, parseStoreSpec } from "./store/spec.ts";
import { SQLITE_SYNC_MODES } from "./store/types.ts";
import { DEFAULT_COORD, parseCoordSpec, parseZoneLinks } from "./zones/spec.ts";
import type { SqliteSyncMode } from "./store/types.ts";

export { ConfigError } from "./settings.ts";

/** The game server's settings; see DEFAULT_GAME_SETTINGS for the values. */
interface GameSettings {
  readonly host: string;
  /** 0 picks a free port (tests, loadtest). */
  readonly port: number;
  readonly tickHz: number;
  readonly seed: number;
  readonly chunksX: number;
  readonly chunksY: number;
  readonly chunksZ: number;
  readonly npcCount: number;
  readonly maxPlayers: number;
  /** Entities farther than this (voxels) from a player are not streamed to them. */
  readonly interestRadius: number;
  /** Mesh worker threads (0 = mesh on the main thread, for debugging). */
  readonly meshWorkers: number;
  /** Ring capacity of the dirty-chunk queue; chunks past it wait in an overflow set. */
  readonly meshQueueCapacity: number;
  readonly weaponCooldownMs: number;
  readonly projectileSpeed: number;
  readonly projectileLifetimeMs: number;
  readonly carveRadius: number;
  /** How long a downed player or NPC waits before it respawns (ms). */
  readonly respawnMs: number;
  /** Whether shots hurt teammates; off, they pass through them. */
  readonly friendlyFire: boolean;
  /** Players spawn at a random point this far (voxels) around the world spawn. */
  readonly spawnSpread: number;
  /** Commands per second a session may send, and the burst above that rate. */
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  /** Dropped-command score at which a flooding session is closed (decays at rateLimitPerSecond). */
  readonly floodCloseScore: number;
  /** Malformed or unknown frames tolerated before the session is closed. */
  readonly maxProtocolStrikes: number;
  /** A socket that has not sent a valid hello by then is closed (4003). */
  readonly helloTimeoutMs: number;
  /** WebSocket ping period; a socket with no pong for heartbeatTimeoutMs is closed (4006). */
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** A joined player that sends no frame at all (inputs, pings) for this long is closed (4007). */
  readonly inputSilenceMs: number;
  /**
   * Bound on a socket's queued outgoing bytes, in seconds of that client's own stream, within
   * [floor, ceiling] bytes. Past it the client is closed as a slow consumer (4005).
   */
  readonly sendQueueSeconds: number;
  readonly sendQueueFloorBytes: number;
  readonly sendQueueCeilingBytes: number;
  /** Open TCP connections on the game port at once, in total and from one remote address; past them, 503. */
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  /** HTTP deadlines on the game port: complete headers, complete request, idle socket, idle keep-alive. */
  readonly httpHeadersTimeoutMs: number;
  readonly httpRequestTimeoutMs: number;
  readonly httpIdleTimeoutMs: number;
  readonly httpKeepAliveTimeoutMs: number;
  /** Overall deadline of a graceful stop (SIGTERM/SIGINT); steps still running then are abandoned. */
  readonly shutdownTimeoutMs: number;
  /** How long a dropped player's entity waits for a resume before it is removed. */
  readonly resumeGraceMs: number;
  /** Send tick duration stats in deltas every this many ticks. */
  readonly statsEveryTicks: number;
  /** Directory of the built client (vite's dist/), or null to serve no static files. */
  readonly distDir: string | null;
  /** Where the world is kept: sqlite:<dir> (one file per zone), postgres://... or memory (store/index.ts). */
  readonly store: string;
  /** SQLite commits: `normal` survives a killed process, `full` also a power cut (an fsync per commit). */
  readonly storeSync: SqliteSyncMode;
  /** Edits carved but not yet durable past which carving is refused (hits still count) until half have drained. */
  readonly storeMaxPendingEdits: number;
  /** Edits in one commit at most (a backlog drains in batches this big). */
  readonly storeMaxBatchEdits: number;
  /** Pause before a failed store write is retried (ms). */
  readonly storeRetryMs: number;
  /** Compact the log into the snapshot after this many durable edits, or this long after the last compaction. */
  readonly compactEveryEdits: number;
  readonly compactEveryMs: number;
  /** Players' records (position, health, cooldowns) are saved this often, and when they leave (ms). */
  readonly playerSaveMs: number;
  /** A saved player record older than this at start is dropped instead of resumed (ms). */
  readonly playerRecordTtlMs: number;
  /** PostgreSQL: length of the zone's lease (renewed every third of it), and how long a start waits for another owner's lease to lapse (ms). */
  readonly storeLeaseMs: number;
  readonly storeClaimTimeoutMs: number;
  /** How zones find each other: `local` (one process) or `redis://host:port` (zones/spec.ts). */
  readonly coord: string;
  /** Neighbouring zones by edge, `east=b,west=a` (zones/spec.ts); empty: every edge is a wall. */
  readonly zoneLinks: string;
  /** The WebSocket URL clients reach this zone at (advertised in the directory); null: ws://host:port/ws. */
  readonly publicUrl: string | null;
  /** A player pushing across a linked edge for this long is frozen and handed to the next zone (ms). */
  readonly handoffPushMs: number;
  /** How long a seat reservation may take before the hand-off is refused and the player stays (ms). */
  readonly handoffTimeoutMs: number;
  /** Life of a hand-off ticket: the player must reach the next zone within it (ms). */
  readonly handoffTicketTtlMs: number;
  /** After arriving in a zone, a player is not handed off again for this long (ms). */
  readonly handoffCooldownMs: number;
  /** Life of this zone's directory entry in Redis; it is refreshed every third of it (ms). */
  readonly directoryTtlMs: number;
}

/** Everything the server needs to start: the game settings and the telemetry settings. */
export type ServerConfig = Readonly<GameSettings & TelemetryConfig>;

/** What code may fix (startServer options, tests): any game setting, and the zone and shard. */
export type ServerOverrides = Partial<GameSettings & Pick<TelemetryConfig, "zone" | "shard">>;

/** Defaults: one zone at 30 Hz on the default generated world. */
const DEFAULT_GAME_SETTINGS: GameSettings = {
  host: "127.0.0.1",
  port: 8080,
  tickHz: 30,
  seed: DEFAULT_WORLD_GEN.seed,
  chunksX: DEFAULT_WORLD_GEN.chunksX,
  chunksY: DEFAULT_WORLD_GEN.chunksY,
  chunksZ: DEFAULT_WORLD_GEN.chunksZ,
  npcCount: 24,
  maxPlayers: 256,
  interestRadius: 64,
  meshWorkers: 1,
  meshQueueCapacity: 512,
  weaponCooldownMs: 250,
  projectileSpeed: 80,
  projectileLifetimeMs: 1500,
  carveRadius: 2.5,
  respawnMs: 3000,
  friendlyFire: false,
  spawnSpread: 6,
  rateLimitPerSecond: 80,
  rateLimitBurst: 120,
  floodCloseScore: 400,
  maxProtocolStrikes: 20,
  helloTimeoutMs: 10_000,
  heartbeatIntervalMs: 3000,
  heartbeatTimeoutMs: 10_000,
  inputSilenceMs: 20_000,
  sendQueueSeconds: 2,
  sendQueueFloorBytes: 128 * 1024,
  sendQueueCeilingBytes: 4 * 1024 * 1024,
  maxConnections: 2048,
  maxConnectionsPerAddress: 64,
  httpHeadersTimeoutMs: 10_000,
  httpRequestTimeoutMs: 30_000,
  httpIdleTimeoutMs: 30_000,
  httpKeepAliveTimeoutMs: 5000,
  shutdownTimeoutMs: 10_000,
  resumeGraceMs: 15000,
  statsEveryTicks: 15,
  distDir: null,
  store: DEFAULT_STORE,
  storeSync: "normal",
  storeMaxPendingEdits: 4096,
  storeMaxBatchEdits: 1024,
  storeRetryMs: 500,
  compactEveryEdits: 10_000,
  compactEveryMs: 60_000,
  playerSaveMs: 3000,
  playerRecordTtlMs: 10 * 60_000,
  storeLeaseMs: 3000,
  storeClaimTimeoutMs: 15_000,
  coord: DEFAULT_COORD,
  zoneLinks: "",
  publicUrl: null,
  handoffPushMs: 250,
  handoffTimeoutMs: 1000,
  handoffTicketTtlMs: 10_000,
  handoffCooldownMs: 3000,
  directoryTtlMs: 5000,
};


/** The defaults of every setting. */
export const DEFAULT_SERVER_CONFIG: ServerConfig = { ...DEFAULT_GAME_SETTINGS, ...DEFAULT_TELEMETRY_CONFIG };

/** An integer (or any finite number) setting within [lo, hi], optionally set by `env`. */
function numeric(lo: number, hi: number, kind: "int" | "float", env?: string): Setting<number> {
  const n = z.number().min(lo).max(hi);
  return {
    schema: kind === "int" ? n.int() : n,
    expected: `expected ${kind === "int" ? "an integer" : "a number"} in [${lo}, ${hi}]`,
    env,
    text: env === undefined ? undefined : numberText(env),
  };
}

const int = (lo: number, hi: number, env?: string) => numeric(lo, hi, "int", env);
const float = (lo: number, hi: number, env?: string) => numeric(lo, hi, "float", env);

/** Every game setting: its schema, environment variable (if any) and failure text. */
const GAME_SETTINGS: { readonly [K in keyof GameSettings]-?: Setting<GameSettings[K]> } = {
  host: { schema: z.string().min(1), expected: "must not be empty", env: "HOST" },
  port: int(0, 65535, "PORT"),
  tickHz: int(1, 120, "TICK_HZ"),
  seed: int(-2147483648, 4294967295, "WORLD_SEED"),
  chunksX: int(1, 64),
  chunksY: int(1, 16),
  chunksZ: int(1, 64),
  npcCount: int(0, 1000, "NPC_COUNT"),
  maxPlayers: int(1, 4096, "MAX_PLAYERS"),
  interestRadius: float(8, 1024, "INTEREST_RADIUS"),
  meshWorkers: int(0, 16, "MESH_WORKERS"),
  meshQueueCapacity: int(1, 1 << 20),
  weaponCooldownMs: int(10, 60000),
  projectileSpeed: float(1, 1000),
  projectileLifetimeMs: int(50, 60000),
  carveRadius: float(0.5, 16),
  respawnMs: int(0, 60000, "RESPAWN_MS"),
  friendlyFire: { schema: z.boolean(), expected: "expected true or false" },
  spawnSpread: float(0, 2048, "SPAWN_SPREAD"),
  rateLimitPerSecond: float(1, 10000),
  rateLimitBurst: int(1, 100000),
  floodCloseScore: float(1, 1e7),
  maxProtocolStrikes: int(1, 1e6),
  helloTimeoutMs: int(100, 600000),
  heartbeatIntervalMs: int(100, 600000),
  heartbeatTimeoutMs: int(200, 3600000),
  inputSilenceMs: int(1000, 3600000),
  sendQueueSeconds: float(0.1, 60),
  sendQueueFloorBytes: int(1024, 1 << 30),
  sendQueueCeilingBytes: int(1024, 1 << 30),
  maxConnections: int(1, 1_000_000, "MAX_CONNECTIONS"),
  maxConnectionsPerAddress: int(1, 1_000_000, "MAX_CONNECTIONS_PER_ADDRESS"),
  httpHeadersTimeoutMs: int(100, 600000),
  httpRequestTimeoutMs: int(100, 3600000),
  httpIdleTimeoutMs: int(100, 3600000),
  httpKeepAliveTimeoutMs: int(100, 600000),
  shutdownTimeoutMs: int(100, 600000, "SHUTDOWN_TIMEOUT_MS"),
  resumeGraceMs: int(0, 3600000),
  statsEveryTicks: int(1, 10000),
  distDir: { schema: z.string().min(1).nullable(), expected: "expected a directory path or null" },
  store: {
    schema: z.string().superRefine((v, ctx) => {
      const spec = parseStoreSpec(v);
      if (typeof spec === "string") ctx.addIssue({ code: "custom", message: spec });
    }),
    expected: "expected sqlite:<dir>, postgres://... or memory",
    env: "STORE",
  },
  storeSync: { schema: z.enum(SQLITE_SYNC_MODES), expected: `expected ${SQLITE_SYNC_MODES.join(" or ")}`, env: "STORE_SYNC" },
  storeMaxPendingEdits: int(16, 1 << 22, "STORE_MAX_PENDING_EDITS"),
  storeMaxBatchEdits: int(1, 65536),
  storeRetryMs: int(10, 600000),
  compactEveryEdits: int(1, 1e9, "COMPACT_EVERY_EDITS"),
  compactEveryMs: int(100, 86_400_000, "COMPACT_EVERY_MS"),
  playerSaveMs: int(100, 600000, "PLAYER_SAVE_MS"),
  playerRecordTtlMs: int(1000, 30 * 86_400_000),
  storeLeaseMs: int(300, 600000, "STORE_LEASE_MS"),
  storeClaimTimeoutMs: int(0, 3600000, "STORE_CLAIM_TIMEOUT_MS"),
  coord: {
    schema: z.string().superRefine((v, ctx) => {
      const spec = parseCoordSpec(v);
      if (typeof spec === "string") ctx.addIssue({ code: "custom", message: spec });
    }),
    expected: "expected local or redis://host:port",
    env: "COORD",
  },
  zoneLinks: {
    schema: z.string().superRefine((v, ctx) => {
      const links = parseZoneLinks(v);
      if (typeof links === "string") ctx.addIssue({ code: "custom", message: links });
    }),
    expected: "expected edge=zone pairs, e.g. east=zone-b,west=zone-a",
    env: "ZONE_LINKS",
  },
  publicUrl: {
    schema: z.string().regex(/^wss?:\/\/[^\s]+$/).nullable(),
    expected: "expected a ws:// or wss:// URL",
    env: "PUBLIC_URL",
  },
  handoffPushMs: int(0, 60000, "HANDOFF_PUSH_MS"),
  handoffTimeoutMs: int(50, 60000, "HANDOFF_TIMEOUT_MS"),
  handoffTicketTtlMs: int(500, 600000, "HANDOFF_TICKET_TTL_MS"),
  handoffCooldownMs: int(0, 600000, "HANDOFF_COOLDOWN_MS"),
  directoryTtlMs: int(300, 600000, "DIRECTORY_TTL_MS"),
};

type Key = keyof ServerConfig;
const SETTINGS: { readonly [K in Key]: Setting<ServerConfig[K]> } = { ...GAME_SETTINGS, ...TELEMETRY_SETTINGS };
const KEYS = Object.keys(SETTINGS) as Key[];
const TELEMETRY_KEYS = Object.keys(TELEMETRY_SETTINGS) as (keyof TelemetryConfig)[];
/** The game settings whose raw form is already their type, so code may pass them (ServerOverrides). */
const CODE_KEYS = new Set<Key>([...(Object.keys(GAME_SETTINGS) as Key[]), "zone", "shard"]);

/** Raw values of one layer, and the name an error gives to each (the variable, "<file>: <key>" or the key). */
interface Layer {
  readonly values: Readonly<Partial<Record<Key, unknown>>>;
  readonly source: (key: Key) => string;
}

/** Parses every layer's values over the defaults (later layers win), then checks settings against each other. */
function resolveLayers(layers: readonly Layer[]): ServerConfig {
  const cfg: Record<string, unknown> = { ...DEFAULT_SERVER_CONFIG };
  for (const key of KEYS) {
    let last: Layer | undefined;
    for (const layer of layers) if (layer.values[key] !== undefined) last = layer;
    if (last !== undefined) cfg[key] = parseSetting(SETTINGS[key] as Setting<unknown>, last.values[key], last.source(key));
  }
  const out = cfg as unknown as ServerConfig;
  checkOrder(out, "httpHeadersTimeoutMs", "httpRequestTimeoutMs");
  checkOrder(out, "heartbeatIntervalMs", "heartbeatTimeoutMs");
  checkOrder(out, "sendQueueFloorBytes", "sendQueueCeilingBytes");
  checkZones(out);
  return out;
}

/** Merges `overrides` over the defaults and validates the result. Throws a ConfigError naming the key. */
export function resolveServerConfig(overrides: ServerOverrides = {}): ServerConfig {
  for (const key of Object.keys(overrides)) {
    if (!CODE_KEYS.has(key as Key)) throw new ConfigError(key, "unknown setting");
  }
  return resolveLayers([{ values: overrides, source: (key) => key }]);
}

/**
 * Reads the game settings' environment variables that are set (empty counts as unset), as
 * their raw values: numbers parsed, nothing else checked yet. Throws a ConfigError naming the
 * variable when a number is not one.
 */
export function serverConfigFromEnv(env: Readonly<Record<string, string | undefined>>): ServerOverrides {
  const { values } = envLayer(env);
  return Object.fromEntries([...CODE_KEYS].filter((k) => values[k] !== undefined).map((k) => [k, values[k]])) as ServerOverrides;
}

/** Every setting's environment variable that is set, raw (numbers parsed). */
function envLayer(env: Readonly<Record<string, string | undefined>>): Layer {
  const values: Partial<Record<Key, unknown>> = {};
  const names = new Map<Key, string>();
  for (const key of KEYS) {
    const { env: name, text } = SETTINGS[key];
    const raw = name === undefined ? undefined : env[name];
    if (name === undefined || raw === undefined || raw.trim() === "") continue;
    values[key] = text === undefined ? raw : text(raw);
    names.set(key, name);
  }
  return { values, source: (key) => names.get(key) ?? key };
}

/** The JSON file named by argv (first) or TELEMETRY_CONFIG, if any; unknown keys are errors (typos), null means unset. */
function fileLayer(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): Layer {
  const argvPath = pathFromArgv(argv, "--telemetry-config");
  const envPath = env.TELEMETRY_CONFIG?.trim() || undefined;
  const path = argvPath ?? envPath;
  if (path === undefined) return { values: {}, source: (key) => key };
  const data = readJsonObject(path, argvPath !== undefined ? "--telemetry-config" : "TELEMETRY_CONFIG");
  const values: Partial<Record<Key, unknown>> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!Object.hasOwn(SETTINGS, key)) throw new ConfigError(`${path}: ${key}`, `unknown setting (known: ${KEYS.join(", ")})`);
    if (value !== null) values[key as Key] = value;
  }
  return { values, source: (key) => `${path}: ${key}` };
}

/**
 * Builds the configuration: defaults, then the JSON file named by argv or TELEMETRY_CONFIG,
 * then the environment (empty values count as unset; "off" clears OTLP_ENDPOINT, SENTRY_DSN,
 * METRICS_ADDR and CRASH_DIR), then `fixed`. Throws a ConfigError on any bad value.
 */
export function loadServerConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
  fixed: ServerOverrides = {},
): ServerConfig {
  const cfg = resolveLayers([fileLayer(env, argv), envLayer(env), { values: fixed, source: (key) => key }]);
  if (cfg.devCrashTrigger && env.NODE_ENV === "production") {
    throw new ConfigError("DEV_CRASH_TRIGGER", "is development-only and refused with NODE_ENV=production");
  }
  return cfg;
}

/** The telemetry part of loadServerConfig's result. */
export function loadTelemetryConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[] = []): TelemetryConfig {
  const cfg = loadServerConfig(env, argv);
  return Object.freeze(Object.fromEntries(TELEMETRY_KEYS.map((k) => [k, cfg[k]])) as unknown as TelemetryConfig);
}

/** Throws unless cfg[lo] <= cfg[hi] (a deadline inside the one it belongs to, a floor under its ceiling). */
function checkOrder(cfg: ServerConfig, lo: keyof GameSettings, hi: keyof GameSettings): void {
  const a = cfg[lo] as number;
  const b = cfg[hi] as number;
  if (a > b) throw new ConfigError(lo, `must not exceed ${hi} (${b}), got ${a}`);
}

/** Throws unless the zone's links name other zones, and only when there is a coordinator to hand players over through. */
function checkZones(cfg: ServerConfig): void {
  const links = parseZoneLinks(cfg.zoneLinks, cfg.zone);
  if (typeof links === "string") throw new ConfigError("zoneLinks", links);
  if (Object.keys(links).length > 0 && cfg.coord.trim() === "local") {
    throw new ConfigError("zoneLinks", "linked zones need a coordinator: set COORD=redis://host:port (or leave ZONE_LINKS empty)");
  }
}
