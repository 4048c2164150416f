/**
 * The server's telemetry facade. Game code calls only this small API; it is a no-op until
 * initTelemetry() installs real backends (pino, prom-client, OpenTelemetry). Only files
 * under src/server/telemetry/ may import those SDKs.
 */

/** Log components (closed set, also used for per-component level directives). */
export const COMPONENTS = ["server", "net", "sim", "mesh", "destruct", "http", "telemetry", "ingest"] as const;
export type Component = (typeof COMPONENTS)[number];

/** Server systems timed by the scheduler (the `system` metric label). */
export const SYSTEMS = ["intake", "projectile", "raycast", "carve", "mesh", "collider", "npc", "net"] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** Hit classification (the `kind` label of game_projectile_hits_total). */
export const HIT_KINDS = ["npc", "player", "destructible", "terrain"] as const;
export type HitKind = (typeof HIT_KINDS)[number];

/** Error classes (the `class` label of game_errors_total). */
export const ERROR_CLASSES = [
  "malformed_frame",
  "unknown_message",
  "oversized_frame",
  "non_finite",
  "speed_violation",
  "fire_rate",
  "rate_limited",
  "bad_version",
  "mesh_worker",
  "system_panic",
  "ingest_rejected",
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** Span names for the instrumented hot paths. */
export const SPAN_NAMES = {
  command: "player.command",
  tick: "server.tick",
  projectileIntegrate: "projectile.integrate",
  destructibleRaycast: "destructible.raycast",
  voxelCarve: "voxel.carve",
  chunkMesh: "chunk.mesh",
  colliderRebuild: "collider.rebuild",
} as const;
export type SpanName = (typeof SPAN_NAMES)[keyof typeof SPAN_NAMES];

/** Structured log/span fields: snake_case keys, primitive values only. */
export type Fields = Record<string, string | number | boolean | undefined>;

/** A component-scoped structured logger. */
export interface Log {
  debug(fields: Fields, msg: string): void;
  info(fields: Fields, msg: string): void;
  warn(fields: Fields, msg: string): void;
  error(fields: Fields, msg: string): void;
  /** Warn, rate-limited per `site` key; suppressed calls are counted and reported later. */
  warnLimited(site: string, fields: Fields, msg: string): void;
  child(fields: Fields): Log;
}

/** An open span. `traceparent()` is the W3C header value to hand to later work. */
export interface SpanHandle {
  setAttributes(fields: Fields): void;
  recordError(err: unknown): void;
  traceparent(): string | undefined;
  end(endTimeMs?: number): void;
}

/** Typed metric recorders; label values come only from the closed sets above. */
export interface Metrics {
  tickDuration(seconds: number): void;
  systemDuration(system: SystemName, seconds: number): void;
  voxelQueueLength(length: number): void;
  chunksDirty(count: number): void;
  chunksMeshed(count: number): void;
  meshDuration(seconds: number): void;
  colliderDuration(seconds: number): void;
  carveRequests(count: number): void;
  projectileHit(kind: HitKind): void;
  snapshotBytes(bytes: number): void;
  deltaBytes(bytes: number): void;
  clients(connected: number, disconnected: number): void;
  interestEntities(count: number): void;
  error(cls: ErrorClass): void;
  ticksOverBudget(count: number): void;
}

/** Tracing entry points. Parent is a W3C traceparent string (from a client or a stored impact). */
export interface Tracing {
  /** Runs fn inside a new active span (logs inside carry its trace_id); ends it after. */
  withSpan<T>(name: SpanName, fields: Fields, fn: (span: SpanHandle) => T, parent?: string): T;
  /** Starts a span that the caller ends (work spanning ticks or threads). */
  startSpan(name: SpanName, fields: Fields, parent?: string, startTimeMs?: number): SpanHandle;
}

export interface TelemetryBackends {
  logger(component: Component): Log;
  metrics: Metrics;
  tracing: Tracing;
}

const noop = (): void => {};
const noopLog: Log = { debug: noop, info: noop, warn: noop, error: noop, warnLimited: noop, child: () => noopLog };
const noopSpan: SpanHandle = { setAttributes: noop, recordError: noop, traceparent: () => undefined, end: noop };
const noopMetrics: Metrics = {
  tickDuration: noop, systemDuration: noop, voxelQueueLength: noop, chunksDirty: noop, chunksMeshed: noop,
  meshDuration: noop, colliderDuration: noop, carveRequests: noop, projectileHit: noop, snapshotBytes: noop,
  deltaBytes: noop, clients: noop, interestEntities: noop, error: noop, ticksOverBudget: noop,
};
const noopTracing: Tracing = {
  withSpan: (_n, _f, fn) => fn(noopSpan),
  startSpan: () => noopSpan,
};
const NOOP: TelemetryBackends = { logger: () => noopLog, metrics: noopMetrics, tracing: noopTracing };

let active: TelemetryBackends = NOOP;

/** Installs real backends (called by initTelemetry); returns a function restoring the previous ones. */
export function installBackends(backends: TelemetryBackends): () => void {
  const prev = active;
  active = backends;
  return () => {
    active = prev;
  };
}

/** A logger for one component. Forwards to whatever backend is active at call time. */
export function logger(component: Component): Log {
  const forward = (fields: Fields): Log => ({
    debug: (f, m) => active.logger(component).child(fields).debug(f, m),
    info: (f, m) => active.logger(component).child(fields).info(f, m),
    warn: (f, m) => active.logger(component).child(fields).warn(f, m),
    error: (f, m) => active.logger(component).child(fields).error(f, m),
    warnLimited: (s, f, m) => active.logger(component).child(fields).warnLimited(s, f, m),
    child: (more) => forward({ ...fields, ...more }),
  });
  return forward({});
}

/** The active metric recorders. */
export const metrics: Metrics = new Proxy(noopMetrics, {
  get: (_t, key: keyof Metrics) => active.metrics[key],
});

/** The active tracing entry points. */
export const tracing: Tracing = {
  withSpan: (name, fields, fn, parent) => active.tracing.withSpan(name, fields, fn, parent),
  startSpan: (name, fields, parent, start) => active.tracing.startSpan(name, fields, parent, start),
};
