/**
 * The server's telemetry facade. Game code calls only this small API; it is a no-op until
 * initTelemetry() installs real backends (pino, prom-client, OpenTelemetry). Only files
 * under src/server/telemetry/ may import those SDKs.
 */
import type {
  AdmitResult,
  BusTopic,
  HandoffResult,
  CarveRefuseReason,
  ClientRejectReason,
  ClientResult,
  ClientRoute,
  CloseReason,
  Component,
  DroppedItemType,
  ErrorClass,
  ExperimentVariant,
  FlagReloadResult,
  FatalOrigin,
  GpuErrorClass,
  HitKind,
  Listener,
  NetStage,
  RefuseReason,
  SocketErrorCode,
  SpanName,
  SpanRejectReason,
  StoreBackendLabel,
  SystemName,
  UploadBuffer,
} from "../../shared/telemetry/names.ts";
import { InstallStack } from "../../shared/telemetry/install-stack.ts";
import type { TraceContext } from "../../shared/telemetry/trace-context.ts";

// The closed sets live in the pure shared table so client, docs and dashboards share them.
export {
  CLOSE_REASONS, ERROR_CLASSES, NET_STAGES, REFUSE_REASONS, SPAN_NAMES, SYSTEMS,
} from "../../shared/telemetry/names.ts";
export type {
  AdmitResult, BusTopic, HandoffResult, CarveRefuseReason, StoreBackendLabel, CloseReason, Component, ErrorClass, FatalOrigin, HitKind, Listener, NetStage, RefuseReason, SocketErrorCode, SpanName, SystemName,
} from "../../shared/telemetry/names.ts";
export type { TraceContext } from "../../shared/telemetry/trace-context.ts";

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

/** An open span. `context()` is what later work passes as its parent (formatted only where it leaves the process). */
export interface SpanHandle {
  setAttributes(fields: Fields): void;
  recordError(err: unknown): void;
  /** This span's context, or (for a span not recorded) the context its children should follow; undefined when there is nothing to follow. */
  context(): TraceContext | undefined;
  /** Ends the span; `endTimeMs` is epoch milliseconds (Date.now() or performance.timeOrigin + now()). */
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
  /** The `variant` label tickDuration records under from now on (the server experiment's; "none" without one). */
  setExperimentVariant(variant: ExperimentVariant): void;
  /** One re-read of flags.json after it changed. */
  flagReload(result: FlagReloadResult): void;
  socketError(listener: Listener, stage: NetStage, code: SocketErrorCode): void;
  connectionRefused(listener: Listener, reason: RefuseReason): void;
  connectionsOpen(listener: Listener, count: number): void;
  wsClose(reason: CloseReason): void;
  fatal(origin: FatalOrigin): void;
  /** One batch of edits made durable, `seconds` after it was handed to the store. */
  storeCommit(backend: StoreBackendLabel, seconds: number): void;
  storePendingEdits(count: number): void;
  storeFenced(): void;
  storeRecovery(seconds: number): void;
  /** One compaction: its duration, snapshot rows written and log rows deleted. */
  storeCompaction(seconds: number, chunksWritten: number, editsDeleted: number): void;
  carveBroadcastDelay(ticks: number): void;
  carveRefused(reason: CarveRefuseReason): void;
  /** One hand-off attempt by this zone (the player leaving), by result. */
  zoneHandoff(result: HandoffResult): void;
  /** One player admitted here from another zone, `seconds` after that zone froze it. */
  zoneHandoffDuration(seconds: number): void;
  zoneAdmit(result: AdmitResult): void;
  zoneLeaseRenewalFailure(): void;
  /** One cross-zone event delivered by the tick, `seconds` after it was published. */
  zoneBusLag(topic: BusTopic, seconds: number): void;
  zoneBusDropped(topic: BusTopic): void;
  zoneBusPublished(topic: BusTopic): void;
  zoneCoordUp(up: boolean): void;
  zoneOwned(owned: boolean): void;
}

/** Recorders for what the client-telemetry ingest accepts (aggregates only, never raw events). */
export interface ClientMetrics {
  /** One client frame time, under the client experiment's variant (default "none"). */
  frameTime(seconds: number, variant?: ExperimentVariant): void;
  uploadDuration(seconds: number): void;
  uploadBytes(buffer: UploadBuffer, bytes: number): void;
  gpuError(cls: GpuErrorClass, count?: number): void;
  /** One request to a client-telemetry route, by outcome. */
  request(route: ClientRoute, result: ClientResult): void;
  /** One refused request, by reason (beside request(route, "rejected" | "rate_limited")). */
  rejected(route: ClientRoute, reason: ClientRejectReason): void;
  /** Spans the OTLP relay refused. */
  spansRejected(reason: SpanRejectReason, count?: number): void;
  /** One Sentry envelope item dropped by the tunnel's allow-list. */
  crashItemDropped(type: DroppedItemType): void;
}

/**
 * Tracing entry points. A parent is a parsed TraceContext: from extract() where a traceparent
 * enters from a client, or from an earlier span's context() inside the server.
 */
export interface Tracing {
  /**
   * Parses a traceparent that came from outside the process (the fire envelope, an HTTP
   * header). Undefined when absent or invalid; every invalid value is counted by reason in
   * game_trace_parent_invalid_total and then treated as no parent.
   */
  extract(traceparent: string | null | undefined): TraceContext | undefined;
  /**
   * Runs fn inside a new active span (logs inside carry its trace_id); ends it after (after
   * settling, for a promise). A remote parent (from extract) is sampled by the server's own
   * policy, with the budget keyed by `fields.session_id`.
   */
  withSpan<T>(name: SpanName, fields: Fields, fn: (span: SpanHandle) => T, parent?: TraceContext): T;
  /** Starts a span that the caller ends (work spanning ticks or threads); startTimeMs is epoch ms. */
  startSpan(name: SpanName, fields: Fields, parent?: TraceContext, startTimeMs?: number): SpanHandle;
}

export interface TelemetryBackends {
  logger(component: Component): Log;
  metrics: Metrics;
  tracing: Tracing;
  /** Optional so older backends (test doubles) keep compiling; missing means no-op. */
  clientMetrics?: ClientMetrics;
}

const noop = (): void => {};
const noopLog: Log = { debug: noop, info: noop, warn: noop, error: noop, warnLimited: noop, child: () => noopLog };
const noopSpan: SpanHandle = { setAttributes: noop, recordError: noop, context: () => undefined, end: noop };
const noopMetrics: Metrics = {
  tickDuration: noop, systemDuration: noop, voxelQueueLength: noop, chunksDirty: noop, chunksMeshed: noop,
  meshDuration: noop, colliderDuration: noop, carveRequests: noop, projectileHit: noop, snapshotBytes: noop,
  deltaBytes: noop, clients: noop, interestEntities: noop, error: noop, ticksOverBudget: noop,
  socketError: noop, connectionRefused: noop, connectionsOpen: noop, wsClose: noop, fatal: noop, setExperimentVariant: noop,
  flagReload: noop,
  storeCommit: noop, storePendingEdits: noop, storeFenced: noop, storeRecovery: noop, storeCompaction: noop,
  carveBroadcastDelay: noop, carveRefused: noop,
  zoneHandoff: noop, zoneHandoffDuration: noop, zoneAdmit: noop, zoneLeaseRenewalFailure: noop, zoneBusLag: noop, zoneBusDropped: noop,
  zoneBusPublished: noop, zoneCoordUp: noop, zoneOwned: noop,
};
const noopClientMetrics: ClientMetrics = {
  frameTime: noop, uploadDuration: noop, uploadBytes: noop, gpuError: noop, request: noop, rejected: noop,
  spansRejected: noop, crashItemDropped: noop,
};
const noopTracing: Tracing = {
  extract: () => undefined,
  withSpan: (_n, _f, fn) => fn(noopSpan),
  startSpan: () => noopSpan,
};
const NOOP: TelemetryBackends = {
  logger: () => noopLog, metrics: noopMetrics, tracing: noopTracing, clientMetrics: noopClientMetrics,
};

/**
 * The no-op backends (what is active before initTelemetry), for installing one real backend
 * beside no-op ones, as the telemetry-cost benchmark does to measure each on its own.
 */
export const NOOP_BACKENDS: Readonly<TelemetryBackends> = NOOP;

let active: TelemetryBackends = NOOP;
let activeClient: ClientMetrics = noopClientMetrics;
// Bumped on every change so cached forwarding loggers re-resolve their target once.
let generation = 0;
// Uninstalling out of order (two servers in one test process) never resurrects a backend.
const installed = new InstallStack<TelemetryBackends>(NOOP, (top) => {
  active = top;
  activeClient = top.clientMetrics ?? noopClientMetrics;
  generation++;
});

/** Installs real backends (called by initTelemetry); returns a function uninstalling them (idempotent). */
export function installBackends(backends: TelemetryBackends): () => void {
  return installed.install(backends);
}

/**
 * Forwards to the active backend. The backend logger (and child) is resolved once per
 * install generation, so a log call allocates nothing here; module-level loggers created
 * before initTelemetry() start writing as soon as backends are installed.
 */
class ForwardingLog implements Log {
  private gen = -1;
  private target: Log = noopLog;

  constructor(
    private readonly component: Component,
    private readonly parent: ForwardingLog | undefined,
    private readonly fields: Fields | undefined,
  ) {}

  resolve(): Log {
    if (this.gen !== generation) {
      this.target = this.parent && this.fields ? this.parent.resolve().child(this.fields) : active.logger(this.component);
      this.gen = generation;
    }
    return this.target;
  }

  debug(fields: Fields, msg: string): void {
    this.resolve().debug(fields, msg);
  }
  info(fields: Fields, msg: string): void {
    this.resolve().info(fields, msg);
  }
  warn(fields: Fields, msg: string): void {
    this.resolve().warn(fields, msg);
  }
  error(fields: Fields, msg: string): void {
    this.resolve().error(fields, msg);
  }
  warnLimited(site: string, fields: Fields, msg: string): void {
    this.resolve().warnLimited(site, fields, msg);
  }
  child(fields: Fields): Log {
    return new ForwardingLog(this.component, this, { ...fields });
  }
}

/** A logger for one component. Forwards to whatever backend is active at call time. */
export function logger(component: Component): Log {
  return new ForwardingLog(component, undefined, undefined);
}

/** The active metric recorders (plain forwarding closures: no Proxy, no per-call allocation). */
export const metrics: Metrics = {
  tickDuration: (s) => active.metrics.tickDuration(s),
  systemDuration: (sys, s) => active.metrics.systemDuration(sys, s),
  voxelQueueLength: (n) => active.metrics.voxelQueueLength(n),
  chunksDirty: (n) => active.metrics.chunksDirty(n),
  chunksMeshed: (n) => active.metrics.chunksMeshed(n),
  meshDuration: (s) => active.metrics.meshDuration(s),
  colliderDuration: (s) => active.metrics.colliderDuration(s),
  carveRequests: (n) => active.metrics.carveRequests(n),
  projectileHit: (k) => active.metrics.projectileHit(k),
  snapshotBytes: (b) => active.metrics.snapshotBytes(b),
  deltaBytes: (b) => active.metrics.deltaBytes(b),
  clients: (c, d) => active.metrics.clients(c, d),
  interestEntities: (n) => active.metrics.interestEntities(n),
  error: (c) => active.metrics.error(c),
  ticksOverBudget: (n) => active.metrics.ticksOverBudget(n),
  setExperimentVariant: (v) => active.metrics.setExperimentVariant(v),
  flagReload: (r) => active.metrics.flagReload(r),
  socketError: (l, s, c) => active.metrics.socketError(l, s, c),
  connectionRefused: (l, r) => active.metrics.connectionRefused(l, r),
  connectionsOpen: (l, n) => active.metrics.connectionsOpen(l, n),
  wsClose: (r) => active.metrics.wsClose(r),
  fatal: (o) => active.metrics.fatal(o),
  storeCommit: (b, s) => active.metrics.storeCommit(b, s),
  storePendingEdits: (n) => active.metrics.storePendingEdits(n),
  storeFenced: () => active.metrics.storeFenced(),
  storeRecovery: (s) => active.metrics.storeRecovery(s),
  storeCompaction: (s, c, e) => active.metrics.storeCompaction(s, c, e),
  carveBroadcastDelay: (t) => active.metrics.carveBroadcastDelay(t),
  carveRefused: (r) => active.metrics.carveRefused(r),
  zoneHandoff: (r) => active.metrics.zoneHandoff(r),
  zoneHandoffDuration: (s) => active.metrics.zoneHandoffDuration(s),
  zoneAdmit: (r) => active.metrics.zoneAdmit(r),
  zoneLeaseRenewalFailure: () => active.metrics.zoneLeaseRenewalFailure(),
  zoneBusLag: (t, s) => active.metrics.zoneBusLag(t, s),
  zoneBusDropped: (t) => active.metrics.zoneBusDropped(t),
  zoneBusPublished: (t) => active.metrics.zoneBusPublished(t),
  zoneCoordUp: (u) => active.metrics.zoneCoordUp(u),
  zoneOwned: (o) => active.metrics.zoneOwned(o),
};

/** The active client-ingest recorders (no-op until installed or when the backend has none). */
export const clientMetrics: ClientMetrics = {
  frameTime: (s, v) => activeClient.frameTime(s, v),
  uploadDuration: (s) => activeClient.uploadDuration(s),
  uploadBytes: (b, n) => activeClient.uploadBytes(b, n),
  gpuError: (c, n) => activeClient.gpuError(c, n),
  request: (route, r) => activeClient.request(route, r),
  rejected: (route, r) => activeClient.rejected(route, r),
  spansRejected: (r, n) => activeClient.spansRejected(r, n),
  crashItemDropped: (t) => activeClient.crashItemDropped(t),
};

/** The active tracing entry points. */
export const tracing: Tracing = {
  extract: (tp) => active.tracing.extract(tp),
  withSpan: (name, fields, fn, parent) => active.tracing.withSpan(name, fields, fn, parent),
  startSpan: (name, fields, parent, start) => active.tracing.startSpan(name, fields, parent, start),
};
