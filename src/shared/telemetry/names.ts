/**
 * Telemetry names: closed label sets, the metric table and span names.
 * Pure data (no SDK imports) so the server, the client, docs generators and dashboard tests
 * all read the same table. Every metric carries the default labels `zone` and `shard`.
 */
import { TRACE_PARENT_INVALID_REASONS } from "./trace-context.ts";

/** Log components (closed set, also used for per-component level directives). */
export const COMPONENTS = ["server", "net", "sim", "mesh", "destruct", "http", "telemetry", "ingest", "store", "zone"] as const;
export type Component = (typeof COMPONENTS)[number];

/** Server systems timed by the scheduler (the `system` metric label). */
export const SYSTEMS = ["intake", "projectile", "raycast", "carve", "persist", "mesh", "collider", "npc", "net"] as const;
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
  "bad_path",
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** The `state` label of game_net_clients. */
export const CLIENT_STATES = ["connected", "disconnected"] as const;

/** Why a finished span never reached the OTLP collector (`reason` of game_trace_spans_dropped_total). */
export const SPAN_DROP_REASONS = ["queue_full", "export_failed"] as const;
export type SpanDropReason = (typeof SPAN_DROP_REASONS)[number];

/**
 * Why a traceparent was ignored (`reason` of game_trace_parent_invalid_total); defined with
 * the parser in trace-context.ts.
 */
export { TRACE_PARENT_INVALID_REASONS };
export type { TraceParentInvalidReason } from "./trace-context.ts";

/** WebGPU error classes reported by clients (`class` of game_client_gpu_errors_total). */
export const GPU_ERROR_CLASSES = ["validation", "out_of_memory", "internal", "device_lost"] as const;
export type GpuErrorClass = (typeof GPU_ERROR_CLASSES)[number];

/** The game port's client-telemetry routes (`route` of game_client_requests_total). */
export const CLIENT_ROUTES = ["breadcrumbs", "traces", "sentry"] as const;
export type ClientRoute = (typeof CLIENT_ROUTES)[number];

/**
 * Outcome of one request to a client-telemetry route (`result` of game_client_requests_total):
 * one request, one count, whatever it carried. duplicate = a retry of a batch already taken
 * (acknowledged, ingested once); upstream_error = valid, but the Sentry host or OTLP endpoint failed.
 */
export const CLIENT_RESULTS = ["accepted", "duplicate", "rejected", "rate_limited", "disabled", "upstream_error"] as const;
export type ClientResult = (typeof CLIENT_RESULTS)[number];

/**
 * Why a client-telemetry request was refused (`reason` of game_client_rejected_total):
 * unsupported content type, oversized body, malformed JSON or envelope, invalid against its
 * schema, no or mixed session id (traces), over a rate limit, or a Sentry DSN not ours.
 */
const CLIENT_REJECT_REASONS = ["unsupported", "oversized", "malformed", "invalid", "session", "rate_limited", "dsn_mismatch"] as const;
export type ClientRejectReason = (typeof CLIENT_REJECT_REASONS)[number];

/** The reasons each route can give (only these series are created). */
export const CLIENT_ROUTE_REJECT_REASONS: Readonly<Record<ClientRoute, readonly ClientRejectReason[]>> = {
  breadcrumbs: ["unsupported", "oversized", "malformed", "invalid", "rate_limited"],
  traces: ["unsupported", "oversized", "malformed", "invalid", "session", "rate_limited"],
  sentry: ["oversized", "malformed", "dsn_mismatch"],
};

/**
 * Why the OTLP relay refused one span (`reason` of game_client_spans_rejected_total): the
 * first field that broke its rule (otlp-schema.ts), `time` for a timestamp outside the window
 * around now or an end before the start, `too_many` past the per-request span limit.
 */
export const SPAN_REJECT_REASONS = [
  "trace_id", "span_id", "parent_span_id", "name", "kind", "time", "attributes", "events", "links", "status", "too_many", "other",
] as const;
export type SpanRejectReason = (typeof SPAN_REJECT_REASONS)[number];

/**
 * Sentry envelope item types the tunnel drops (`type` of game_client_crash_items_dropped_total):
 * everything but the allow-listed `event`; `other` covers types it does not name.
 */
export const DROPPED_ITEM_TYPES = ["attachment", "user_report", "feedback", "session", "transaction", "replay", "other"] as const;
export type DroppedItemType = (typeof DROPPED_ITEM_TYPES)[number];

/** GPU buffer kinds uploaded by the client (`buffer` of game_client_upload_bytes_total). */
export const UPLOAD_BUFFERS = ["vertex", "index"] as const;
export type UploadBuffer = (typeof UPLOAD_BUFFERS)[number];

/**
 * Variants of a running experiment (the `variant` label of game_tick_duration_seconds and
 * game_client_frame_time_seconds): a closed set, so the series count stays bounded whatever
 * flags.json says. Flags marked as experiments may only name their variants from it; "none"
 * means no experiment (or one that is off).
 */
export const EXPERIMENT_VARIANTS = ["none", "control", "a", "b", "c"] as const;
export type ExperimentVariant = (typeof EXPERIMENT_VARIANTS)[number];

/** Outcome of re-reading flags.json after it changed (the `result` of game_flag_reloads_total). */
export const FLAG_RELOAD_RESULTS = ["ok", "rejected"] as const;
export type FlagReloadResult = (typeof FLAG_RELOAD_RESULTS)[number];
/** The server's two listeners (`listener` label): the game port and the metrics/debug port. */
export const LISTENERS = ["game", "metrics"] as const;
export type Listener = (typeof LISTENERS)[number];

/**
 * Where a network error happened (`stage` of game_net_socket_errors_total): accepting the
 * connection (or refusing it over a cap), an HTTP request or response, a WebSocket upgrade
 * before the handshake completed, an open WebSocket, or a request the server made upstream
 * (the OTLP relay and the Sentry tunnel).
 */
export const NET_STAGES = ["accept", "http", "upgrade", "ws", "forward"] as const;
export type NetStage = (typeof NET_STAGES)[number];

/**
 * Errno classes (`code` of game_net_socket_errors_total): the common socket errnos, DNS and
 * descriptor exhaustion grouped, malformed protocol bytes (HTTP parser, WebSocket framing),
 * deadlines, and everything else as `other`.
 */
export const SOCKET_ERROR_CODES = [
  "econnreset",
  "epipe",
  "etimedout",
  "econnrefused",
  "econnaborted",
  "unreachable",
  "dns",
  "fd_limit",
  "parse",
  "timeout",
  "other",
] as const;
export type SocketErrorCode = (typeof SOCKET_ERROR_CODES)[number];

/** Why a connection was refused before any request was served (`reason` of game_net_connections_refused_total). */
export const REFUSE_REASONS = ["total_limit", "address_limit"] as const;
export type RefuseReason = (typeof REFUSE_REASONS)[number];

/**
 * Why a game WebSocket closed (`reason` of game_net_ws_closes_total). The first four are the
 * client's doing (a close frame with 1000/1005, 1001, no close frame at all, any other code);
 * the rest are the server closing it, each with its own close code.
 */
export const CLOSE_REASONS = [
  "normal",
  "going_away",
  "network",
  "client_other",
  "hello_timeout",
  "heartbeat_timeout",
  "input_silence",
  "slow_consumer",
  "oversized_frame",
  "protocol_violation",
  "bad_version",
  "server_full",
  "rate_limited",
  "shutdown",
  "transferred",
  "bad_ticket",
] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** How an exception escaped to the process (`origin` of game_fatal_errors_total). */
export const FATAL_ORIGINS = ["uncaught_exception", "unhandled_rejection"] as const;
export type FatalOrigin = (typeof FATAL_ORIGINS)[number];

/** The world store's engines (`backend` of game_store_commit_duration_seconds). */
export const STORE_BACKENDS = ["sqlite", "postgres", "memory"] as const;
export type StoreBackendLabel = (typeof STORE_BACKENDS)[number];

/**
 * Why a carve was refused while its hit still counted (`reason` of game_carves_refused_total):
 * the store's backlog of edits not yet durable passed its bound, or the zone's ownership was
 * lost and the server is stopping.
 */
export const CARVE_REFUSE_REASONS = ["store_backlog", "store_fenced"] as const;
export type CarveRefuseReason = (typeof CARVE_REFUSE_REASONS)[number];

/**
 * How a hand-off to the next zone ended (`result` of game_zone_handoffs_total, counted by the
 * zone the player leaves): ok (the player holds a ticket for the next zone and was sent there),
 * refused_full / refused_budget (the next zone had no seat or no tick budget), refused_no_zone
 * (no live zone across the edge), refused_coord_down (Redis unreachable), timeout (no answer to
 * the seat request in time), failed (the player record could not be moved).
 */
export const HANDOFF_RESULTS = ["ok", "refused_full", "refused_budget", "refused_no_zone", "refused_coord_down", "timeout", "failed"] as const;
export type HandoffResult = (typeof HANDOFF_RESULTS)[number];

/** How a ticketed arrival ended (`result` of game_zone_admits_total): admitted, or a ticket that was unknown, expired, used or for another zone. */
export const ADMIT_RESULTS = ["ok", "bad_ticket"] as const;
export type AdmitResult = (typeof ADMIT_RESULTS)[number];

/** Cross-zone event topics on the Redis bus (`topic` of the game_zone_bus_* series). */
export const BUS_TOPICS = ["kill_feed", "population", "announcement"] as const;
export type BusTopic = (typeof BUS_TOPICS)[number];

/** What a compaction counts (`kind` of game_store_compaction_rows_total). */
export const COMPACTION_ROWS = ["chunks_written", "edits_deleted"] as const;

/** Prefix for prom-client's process/Node.js default metrics (event-loop lag, GC, memory). */
export const PROCESS_METRICS_PREFIX = "game_";

/** OpenTelemetry service.name of the game server. */
export const SERVICE_NAME = "voxel-server";

/** Histogram bucket bounds in seconds. The tick buckets straddle the 60 Hz and 30 Hz budgets. */
export const BUCKETS = {
  tick: [0.001, 0.002, 0.005, 0.01, 0.0167, 0.025, 0.033, 0.05, 0.1, 0.25],
  system: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.0167, 0.033, 0.1],
  job: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
  frame: [0.004, 0.0083, 0.0111, 0.0167, 0.025, 0.033, 0.05, 0.1, 0.25],
  upload: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05],
  commit: [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
  compaction: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  /** A hand-off, from the player frozen in one zone to its admission in the next. */
  handoff: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5],
  /** Cross-zone event delivery: published in one process, drained by another's tick. */
  bus: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  /** Whole ticks between a carve and its broadcast (0 with the memory store). */
  delayTicks: [0, 1, 2, 3, 5, 10, 30, 100],
} as const;

type MetricType = "counter" | "gauge" | "histogram";
type MetricUnit = "seconds" | "bytes" | "count" | "ticks";

/** Shape of one metric entry; `seed` is the name the original issue used (null when new). */
export interface MetricSpec {
  readonly prom: string;
  readonly seed: string | null;
  readonly type: MetricType;
  readonly unit: MetricUnit;
  readonly labels: readonly string[];
  readonly labelValues?: Readonly<Record<string, readonly string[]>>;
  readonly buckets?: readonly number[];
  readonly side: "server" | "client";
  readonly help: string;
}

/** Every game metric, keyed by recorder name. Docs and dashboard tests read this table. */
export const METRICS = {
  tickDuration: {
    prom: "game_tick_duration_seconds", seed: "tick.ms", type: "histogram", unit: "seconds", labels: ["variant"],
    labelValues: { variant: EXPERIMENT_VARIANTS }, buckets: BUCKETS.tick, side: "server",
    help: "Wall time of one server tick (variant: the server experiment's variant, none without one).",
  },
  systemDuration: {
    prom: "game_system_duration_seconds", seed: "systems.ms", type: "histogram", unit: "seconds", labels: ["system"],
    labelValues: { system: SYSTEMS }, buckets: BUCKETS.system, side: "server",
    help: "Wall time of one system within a tick (projectile = the seed's projectile_integrate_ms).",
  },
  voxelQueueLength: {
    prom: "game_voxel_queue_length", seed: "voxel.queue_len", type: "gauge", unit: "count", labels: [],
    side: "server", help: "Chunks waiting for remesh/collider rebuild.",
  },
  chunksDirty: {
    prom: "game_voxel_chunks_dirty_total", seed: "voxel.chunks_dirty_total", type: "counter", unit: "count", labels: [],
    side: "server", help: "Chunks marked dirty by carves.",
  },
  chunksMeshed: {
    prom: "game_voxel_chunks_meshed_total", seed: "voxel.chunks_meshed_total", type: "counter", unit: "count", labels: [],
    side: "server", help: "Chunks remeshed.",
  },
  meshDuration: {
    prom: "game_voxel_mesh_duration_seconds", seed: "voxel.mesh.ms", type: "histogram", unit: "seconds", labels: [],
    buckets: BUCKETS.job, side: "server", help: "Time to mesh one chunk (worker thread included).",
  },
  colliderDuration: {
    prom: "game_voxel_collider_duration_seconds", seed: "voxel.collider.ms", type: "histogram", unit: "seconds",
    labels: [], buckets: BUCKETS.job, side: "server", help: "Time to rebuild one chunk collider.",
  },
  carveRequests: {
    prom: "game_carve_requests_total", seed: "carve_requests_total", type: "counter", unit: "count", labels: [],
    side: "server", help: "Voxel carve requests accepted.",
  },
  projectileHits: {
    prom: "game_projectile_hits_total", seed: "projectile.hits_total", type: "counter", unit: "count", labels: ["kind"],
    labelValues: { kind: HIT_KINDS }, side: "server", help: "Projectile hits by target kind.",
  },
  snapshotBytes: {
    prom: "game_net_snapshot_bytes_total", seed: "net.snapshot.bytes_total", type: "counter", unit: "bytes", labels: [],
    side: "server", help: "Bytes of full snapshots sent.",
  },
  deltaBytes: {
    prom: "game_net_delta_bytes_total", seed: "net.delta.bytes_total", type: "counter", unit: "bytes", labels: [],
    side: "server", help: "Bytes of delta snapshots sent.",
  },
  netClients: {
    prom: "game_net_clients", seed: "net.clients", type: "gauge", unit: "count", labels: ["state"],
    labelValues: { state: CLIENT_STATES }, side: "server", help: "Client sessions by state.",
  },
  interestEntities: {
    prom: "game_interest_entities", seed: "interest_entities", type: "gauge", unit: "count", labels: [],
    side: "server", help: "Entities in interest sets, summed over clients, at the last tick.",
  },
  errors: {
    prom: "game_errors_total", seed: "<class>_total (ecs_panic_total, gpu_upload_fail_total, ...)", type: "counter",
    unit: "count", labels: ["class"], labelValues: { class: ERROR_CLASSES }, side: "server", help: "Errors by class.",
  },
  ticksOverBudget: {
    prom: "game_ticks_over_budget_total", seed: null, type: "counter", unit: "count", labels: [],
    side: "server", help: "Ticks that exceeded their time budget.",
  },
  flagReloads: {
    prom: "game_flag_reloads_total", seed: null, type: "counter", unit: "count", labels: ["result"],
    labelValues: { result: FLAG_RELOAD_RESULTS }, side: "server",
    help: "Re-reads of flags.json after it changed: ok (now in force) or rejected (invalid; the previous flags stay).",
  },
  netSocketErrors: {
    prom: "game_net_socket_errors_total", seed: null, type: "counter", unit: "count", labels: ["listener", "stage", "code"],
    labelValues: { listener: LISTENERS, stage: NET_STAGES, code: SOCKET_ERROR_CODES }, side: "server",
    help: "Errors on sockets, requests, responses and upstream requests, by listener, stage and errno class.",
  },
  netConnectionsRefused: {
    prom: "game_net_connections_refused_total", seed: null, type: "counter", unit: "count", labels: ["listener", "reason"],
    labelValues: { listener: LISTENERS, reason: REFUSE_REASONS }, side: "server",
    help: "Connections answered 503 because a connection cap was reached.",
  },
  netConnectionsOpen: {
    prom: "game_net_connections_open", seed: null, type: "gauge", unit: "count", labels: ["listener"],
    labelValues: { listener: LISTENERS }, side: "server", help: "Open TCP connections per listener.",
  },
  netWsCloses: {
    prom: "game_net_ws_closes_total", seed: null, type: "counter", unit: "count", labels: ["reason"],
    labelValues: { reason: CLOSE_REASONS }, side: "server", help: "Game WebSocket connections closed, by reason.",
  },
  fatalErrors: {
    prom: "game_fatal_errors_total", seed: null, type: "counter", unit: "count", labels: ["origin"],
    labelValues: { origin: FATAL_ORIGINS }, side: "server",
    help: "Exceptions that escaped to the process; each one ends the process (a supervisor restarts it).",
  },
  storeCommitDuration: {
    prom: "game_store_commit_duration_seconds", seed: null, type: "histogram", unit: "seconds", labels: ["backend"],
    labelValues: { backend: STORE_BACKENDS }, buckets: BUCKETS.commit, side: "server",
    help: "Time the store engine took to make one batch of edits (a tick's carves) durable, measured on the store thread; the wait until the tick hears of it shows in game_carve_broadcast_delay_ticks.",
  },
  storePendingEdits: {
    prom: "game_store_pending_edits", seed: null, type: "gauge", unit: "count", labels: [],
    side: "server", help: "Edits carved into the world but not yet durable (their broadcast waits for the store).",
  },
  storeFenced: {
    prom: "game_store_fenced_total", seed: null, type: "counter", unit: "count", labels: [],
    side: "server", help: "Times the store refused this server's writes because another process owns the zone (the server then stops).",
  },
  storeRecoveryDuration: {
    prom: "game_store_recovery_duration_seconds", seed: null, type: "gauge", unit: "seconds", labels: [],
    side: "server", help: "Time the last start took to claim the zone, load its snapshot and log and replay them.",
  },
  storeCompactionDuration: {
    prom: "game_store_compaction_duration_seconds", seed: null, type: "histogram", unit: "seconds", labels: [],
    buckets: BUCKETS.compaction, side: "server", help: "Time of one compaction: folding the log into snapshot rows and committing them.",
  },
  storeCompactionRows: {
    prom: "game_store_compaction_rows_total", seed: null, type: "counter", unit: "count", labels: ["kind"],
    labelValues: { kind: COMPACTION_ROWS }, side: "server", help: "Snapshot rows written and log rows deleted by compactions.",
  },
  carveBroadcastDelay: {
    prom: "game_carve_broadcast_delay_ticks", seed: null, type: "histogram", unit: "ticks", labels: [],
    buckets: BUCKETS.delayTicks, side: "server", help: "Ticks between a carve and its broadcast, which waits until the carve is durable.",
  },
  carvesRefused: {
    prom: "game_carves_refused_total", seed: null, type: "counter", unit: "count", labels: ["reason"],
    labelValues: { reason: CARVE_REFUSE_REASONS }, side: "server",
    help: "Voxel hits that carved nothing because the store could not keep up (the hit itself still counted).",
  },
  logDropped: {
    prom: "game_log_dropped_total", seed: null, type: "counter", unit: "count", labels: ["component"],
    labelValues: { component: COMPONENTS }, side: "server", help: "Rate-limited log lines suppressed.",
  },
  traceSpansDropped: {
    prom: "game_trace_spans_dropped_total", seed: null, type: "counter", unit: "count", labels: ["reason"],
    labelValues: { reason: SPAN_DROP_REASONS }, side: "server",
    help: "Sampled spans that never reached the OTLP collector.",
  },
  traceSpansExported: {
    prom: "game_trace_spans_exported_total", seed: null, type: "counter", unit: "count", labels: [],
    side: "server", help: "Spans accepted by the OTLP collector.",
  },
  traceParentInvalid: {
    prom: "game_trace_parent_invalid_total", seed: null, type: "counter", unit: "count", labels: ["reason"],
    labelValues: { reason: TRACE_PARENT_INVALID_REASONS }, side: "server",
    help: "Invalid traceparent values from clients, ignored (the command was sampled as a new root).",
  },
  clientFrameTime: {
    prom: "game_client_frame_time_seconds", seed: "fps_percentiles", type: "histogram", unit: "seconds", labels: ["variant"],
    labelValues: { variant: EXPERIMENT_VARIANTS }, buckets: BUCKETS.frame, side: "client",
    help: "Client frame times reported through the ingest (variant: the client experiment's variant, none without one).",
  },
  clientUploadDuration: {
    prom: "game_client_upload_duration_seconds", seed: "upload_ms", type: "histogram", unit: "seconds", labels: [],
    buckets: BUCKETS.upload, side: "client", help: "Client GPU buffer upload time.",
  },
  clientUploadBytes: {
    prom: "game_client_upload_bytes_total", seed: "vb_bytes / ib_bytes", type: "counter", unit: "bytes",
    labels: ["buffer"], labelValues: { buffer: UPLOAD_BUFFERS }, side: "client", help: "Client GPU bytes uploaded.",
  },
  clientGpuErrors: {
    prom: "game_client_gpu_errors_total", seed: "gfx_errors", type: "counter", unit: "count", labels: ["class"],
    labelValues: { class: GPU_ERROR_CLASSES }, side: "client", help: "Client WebGPU errors by class.",
  },
  clientRequests: {
    prom: "game_client_requests_total", seed: "breadcrumbs", type: "counter", unit: "count", labels: ["route", "result"],
    labelValues: { route: CLIENT_ROUTES, result: CLIENT_RESULTS }, side: "client",
    help: "Requests to the client-telemetry routes (one per request: a breadcrumb batch, a span export, a crash envelope) by outcome.",
  },
  clientRejected: {
    prom: "game_client_rejected_total", seed: null, type: "counter", unit: "count", labels: ["route", "reason"],
    labelValues: { route: CLIENT_ROUTES, reason: CLIENT_REJECT_REASONS }, side: "client",
    help: "Client-telemetry requests refused, by reason (one per refused request).",
  },
  clientSpansRejected: {
    prom: "game_client_spans_rejected_total", seed: null, type: "counter", unit: "count", labels: ["reason"],
    labelValues: { reason: SPAN_REJECT_REASONS }, side: "client",
    help: "Client spans the OTLP relay refused (reported back in partialSuccess), by the first rule they broke.",
  },
  zoneHandoffs: {
    prom: "game_zone_handoffs_total", seed: null, type: "counter", unit: "count", labels: ["result"],
    labelValues: { result: HANDOFF_RESULTS }, side: "server",
    help: "Hand-offs of players to the next zone, by result, counted by the zone they leave.",
  },
  zoneHandoffDuration: {
    prom: "game_zone_handoff_duration_seconds", seed: null, type: "histogram", unit: "seconds", labels: [],
    buckets: BUCKETS.handoff, side: "server",
    help: "Time from a player frozen at the edge of the zone it leaves to its admission here (recorded by the zone it enters).",
  },
  zoneAdmits: {
    prom: "game_zone_admits_total", seed: null, type: "counter", unit: "count", labels: ["result"],
    labelValues: { result: ADMIT_RESULTS }, side: "server", help: "Players arriving with a hand-off ticket, by result.",
  },
  zoneLeaseRenewalFailures: {
    prom: "game_zone_lease_renewal_failures_total", seed: null, type: "counter", unit: "count", labels: [],
    side: "server", help: "Renewals of the zone's ownership lease that failed (the store was unreachable or slow).",
  },
  zoneBusLag: {
    prom: "game_zone_bus_lag_seconds", seed: null, type: "histogram", unit: "seconds", labels: ["topic"],
    labelValues: { topic: BUS_TOPICS }, buckets: BUCKETS.bus, side: "server",
    help: "Cross-zone events: time from publication in one process to delivery by this one's tick.",
  },
  zoneBusDropped: {
    prom: "game_zone_bus_dropped_total", seed: null, type: "counter", unit: "count", labels: ["topic"],
    labelValues: { topic: BUS_TOPICS }, side: "server",
    help: "Cross-zone events dropped because this process's bounded event queue was full.",
  },
  zoneBusPublished: {
    prom: "game_zone_bus_published_total", seed: null, type: "counter", unit: "count", labels: ["topic"],
    labelValues: { topic: BUS_TOPICS }, side: "server", help: "Cross-zone events this process published.",
  },
  zoneCoordUp: {
    prom: "game_zone_coord_up", seed: null, type: "gauge", unit: "count", labels: [],
    side: "server", help: "1 while this process reaches its coordinator (Redis; always 1 with COORD=local), 0 while it does not.",
  },
  zoneOwned: {
    prom: "game_zone_owned", seed: null, type: "gauge", unit: "count", labels: [],
    side: "server", help: "1 while this process owns its zone (its store is open and not fenced), else 0.",
  },
  clientCrashItemsDropped: {
    prom: "game_client_crash_items_dropped_total", seed: null, type: "counter", unit: "count", labels: ["type"],
    labelValues: { type: DROPPED_ITEM_TYPES }, side: "client",
    help: "Sentry envelope items the tunnel dropped because their type is not on its allow-list.",
  },
} as const satisfies Record<string, MetricSpec>;

/** Span names for the instrumented hot paths. */
export const SPAN_NAMES = {
  command: "player.command",
  tick: "server.tick",
  projectileIntegrate: "projectile.integrate",
  destructibleRaycast: "destructible.raycast",
  voxelCarve: "voxel.carve",
  chunkMesh: "chunk.mesh",
  colliderRebuild: "collider.rebuild",
  flagsEvaluate: "flags.evaluate",
  storeCommit: "store.commit",
  zoneRecover: "zone.recover",
  zoneHandoff: "zone.handoff",
  zoneAdmit: "zone.admit",
} as const;
export type SpanName = (typeof SPAN_NAMES)[keyof typeof SPAN_NAMES];
