// Game server configuration: defaults, then options passed to startServer, then environment
// overrides for the CLI. Every value is validated; a bad one fails startup with a message
// that names the setting.
import { DEFAULT_WORLD_GEN } from "../shared/voxel/worldgen.ts";
import { DEFAULT_STORE, parseStoreSpec } from "./store/spec.ts";
import { SQLITE_SYNC_MODES } from "./store/types.ts";
import type { SqliteSyncMode } from "./store/types.ts";

/** Everything the game server needs to start; see DEFAULT_SERVER_CONFIG for the values. */
export interface ServerConfig {
  readonly host: string;
  /** 0 picks a free port (tests, loadtest). */
  readonly port: number;
  readonly zone: string;
  readonly shard: string;
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
}

/** Defaults: one zone at 30 Hz on the default generated world. */
export const DEFAULT_SERVER_CONFIG: ServerConfig = {
  host: "127.0.0.1",
  port: 8080,
  zone: "z0",
  shard: "s0",
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
};

/** A configuration value that failed validation; `setting` names it. */
export class ServerConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`invalid ${setting}: ${message}`);
    this.name = "ServerConfigError";
  }
}

type NumericKey = { [K in keyof ServerConfig]: ServerConfig[K] extends number ? K : never }[keyof ServerConfig];

/** Inclusive bounds of every numeric setting. */
const BOUNDS: Record<NumericKey, readonly [number, number, "int" | "float"]> = {
  port: [0, 65535, "int"],
  tickHz: [1, 120, "int"],
  seed: [-2147483648, 4294967295, "int"],
  chunksX: [1, 64, "int"],
  chunksY: [1, 16, "int"],
  chunksZ: [1, 64, "int"],
  npcCount: [0, 1000, "int"],
  maxPlayers: [1, 4096, "int"],
  interestRadius: [8, 1024, "float"],
  meshWorkers: [0, 16, "int"],
  meshQueueCapacity: [1, 1 << 20, "int"],
  weaponCooldownMs: [10, 60000, "int"],
  projectileSpeed: [1, 1000, "float"],
  projectileLifetimeMs: [50, 60000, "int"],
  carveRadius: [0.5, 16, "float"],
  respawnMs: [0, 60000, "int"],
  spawnSpread: [0, 2048, "float"],
  rateLimitPerSecond: [1, 10000, "float"],
  rateLimitBurst: [1, 100000, "int"],
  floodCloseScore: [1, 1e7, "float"],
  maxProtocolStrikes: [1, 1e6, "int"],
  helloTimeoutMs: [100, 600000, "int"],
  heartbeatIntervalMs: [100, 600000, "int"],
  heartbeatTimeoutMs: [200, 3600000, "int"],
  inputSilenceMs: [1000, 3600000, "int"],
  sendQueueSeconds: [0.1, 60, "float"],
  sendQueueFloorBytes: [1024, 1 << 30, "int"],
  sendQueueCeilingBytes: [1024, 1 << 30, "int"],
  maxConnections: [1, 1_000_000, "int"],
  maxConnectionsPerAddress: [1, 1_000_000, "int"],
  httpHeadersTimeoutMs: [100, 600000, "int"],
  httpRequestTimeoutMs: [100, 3600000, "int"],
  httpIdleTimeoutMs: [100, 3600000, "int"],
  httpKeepAliveTimeoutMs: [100, 600000, "int"],
  shutdownTimeoutMs: [100, 600000, "int"],
  resumeGraceMs: [0, 3600000, "int"],
  statsEveryTicks: [1, 10000, "int"],
  storeMaxPendingEdits: [16, 1 << 22, "int"],
  storeMaxBatchEdits: [1, 65536, "int"],
  storeRetryMs: [10, 600000, "int"],
  compactEveryEdits: [1, 1e9, "int"],
  compactEveryMs: [100, 86_400_000, "int"],
  playerSaveMs: [100, 600000, "int"],
  playerRecordTtlMs: [1000, 30 * 86_400_000, "int"],
  storeLeaseMs: [300, 600000, "int"],
  storeClaimTimeoutMs: [0, 3600000, "int"],
};

const NAME_RE = /^[A-Za-z0-9._-]{1,32}$/;

/** Merges `overrides` over the defaults and validates the result. Throws ServerConfigError. */
export function resolveServerConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const cfg: ServerConfig = { ...DEFAULT_SERVER_CONFIG, ...stripUndefined(overrides) };
  for (const key of Object.keys(BOUNDS) as NumericKey[]) {
    const [lo, hi, kind] = BOUNDS[key];
    const v = cfg[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (kind === "int" && !Number.isInteger(v))) {
      throw new ServerConfigError(key, `expected ${kind === "int" ? "an integer" : "a number"} in [${lo}, ${hi}], got ${String(v)}`);
    }
  }
  checkOrder(cfg, "httpHeadersTimeoutMs", "httpRequestTimeoutMs");
  checkOrder(cfg, "heartbeatIntervalMs", "heartbeatTimeoutMs");
  checkOrder(cfg, "sendQueueFloorBytes", "sendQueueCeilingBytes");
  if (!NAME_RE.test(cfg.zone)) throw new ServerConfigError("zone", "1-32 characters of [A-Za-z0-9._-]");
  if (!NAME_RE.test(cfg.shard)) throw new ServerConfigError("shard", "1-32 characters of [A-Za-z0-9._-]");
  if (typeof cfg.host !== "string" || cfg.host.length === 0) throw new ServerConfigError("host", "must not be empty");
  if (typeof cfg.friendlyFire !== "boolean") throw new ServerConfigError("friendlyFire", "expected true or false");
  const spec = typeof cfg.store === "string" ? parseStoreSpec(cfg.store) : "expected a string";
  if (typeof spec === "string") throw new ServerConfigError("store", spec);
  if (!SQLITE_SYNC_MODES.includes(cfg.storeSync)) throw new ServerConfigError("storeSync", `expected ${SQLITE_SYNC_MODES.join(" or ")}`);
  return cfg;
}

/** Environment variables the CLI reads, and the setting each one overrides. */
export const ENV_SETTINGS: Readonly<Record<string, NumericKey | StringKey>> = {
  HOST: "host",
  PORT: "port",
  ZONE: "zone",
  SHARD: "shard",
  TICK_HZ: "tickHz",
  WORLD_SEED: "seed",
  NPC_COUNT: "npcCount",
  MAX_PLAYERS: "maxPlayers",
  INTEREST_RADIUS: "interestRadius",
  MESH_WORKERS: "meshWorkers",
  MAX_CONNECTIONS: "maxConnections",
  MAX_CONNECTIONS_PER_ADDRESS: "maxConnectionsPerAddress",
  SHUTDOWN_TIMEOUT_MS: "shutdownTimeoutMs",
  RESPAWN_MS: "respawnMs",
  SPAWN_SPREAD: "spawnSpread",
  STORE: "store",
  STORE_SYNC: "storeSync",
  STORE_MAX_PENDING_EDITS: "storeMaxPendingEdits",
  COMPACT_EVERY_EDITS: "compactEveryEdits",
  COMPACT_EVERY_MS: "compactEveryMs",
  PLAYER_SAVE_MS: "playerSaveMs",
  STORE_LEASE_MS: "storeLeaseMs",
  STORE_CLAIM_TIMEOUT_MS: "storeClaimTimeoutMs",
};

/** Settings read from the environment as text. */
type StringKey = "host" | "zone" | "shard" | "store" | "storeSync";
const STRING_KEYS: readonly string[] = ["host", "zone", "shard", "store", "storeSync"];

/** Reads the ENV_SETTINGS variables that are set. Throws ServerConfigError naming the variable. */
export function serverConfigFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<ServerConfig> {
  const out: Record<string, string | number> = {};
  for (const [name, key] of Object.entries(ENV_SETTINGS)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    if (STRING_KEYS.includes(key)) {
      out[key] = raw;
      continue;
    }
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new ServerConfigError(name, `not a number: ${JSON.stringify(raw)}`);
    out[key] = n;
  }
  return out as Partial<ServerConfig>;
}

/** Throws unless cfg[lo] <= cfg[hi] (a deadline inside the one it belongs to, a floor under its ceiling). */
function checkOrder(cfg: ServerConfig, lo: NumericKey, hi: NumericKey): void {
  if (cfg[lo] > cfg[hi]) throw new ServerConfigError(lo, `must not exceed ${hi} (${cfg[hi]}), got ${cfg[lo]}`);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
