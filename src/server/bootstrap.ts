// The server's start sequence, shared by the CLI (main.ts) and the tests that need the whole
// server: every setting is validated before anything binds a port, then telemetry starts (so
// the world build and the first tick are already logged, measured and traced), then the game
// server, with the three client-telemetry routes on its port:
//   GET /telemetry/v1/config, POST /telemetry/v1/breadcrumbs   ingest.ts
//   POST /telemetry/sentry                                      sentry-tunnel.ts
//   POST /v1/traces                                             otlp-relay.ts
// Every setting comes from the one configuration (config.ts), so the game's logs, metric labels
// and spans name the same zone and shard.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Provider } from "@openfeature/server-sdk";
import type { IngestOutcome } from "../shared/telemetry/breadcrumb.ts";
import { startServer } from "./app.ts";
import type { ServerHandle, StartServerOptions } from "./app.ts";
import { loadServerConfig } from "./config.ts";
import type { ServerConfig } from "./config.ts";
import type { ClientConfigSource } from "./http/client-config.ts";
import { createIngestHandler } from "./http/ingest.ts";
import { createOtlpRelay } from "./http/otlp-relay.ts";
import type { RelayOutcome } from "./http/otlp-relay.ts";
import type { HttpRoute } from "./http/routes.ts";
import { createSentryTunnel } from "./http/sentry-tunnel.ts";
import type { TunnelOutcome } from "./http/sentry-tunnel.ts";
import { FaultSwitch, faultsEnabled } from "./faults/switch.ts";
import { readFlagFile, ServerFlags } from "./flags/service.ts";
import { clientFlagsRoute } from "./http/flags.ts";
import { SYSTEM_ORDER } from "./systems/index.ts";
import { socketErrorCode } from "./net/faults.ts";
import { runStopSteps } from "./shutdown.ts";
import type { StopReport, StopStep } from "./shutdown.ts";
import { installFatalHandlers } from "./telemetry/fatal.ts";
import { initTelemetry } from "./telemetry/index.ts";
import type { TelemetryHandle, TelemetryOptions } from "./telemetry/index.ts";

/** What the caller fixes in code; everything else comes from the environment. */
export interface StartGameOptions {
  /** Command-line arguments (`--telemetry-config <file>`). */
  readonly argv?: readonly string[];
  /**
   * Game settings that win over the file and the environment (distDir; a test's port 0 and
   * small world). `routes` are tried before the telemetry routes. Zone and shard are not
   * settable here: they come from the configuration (ZONE / SHARD).
   */
  readonly server?: Omit<StartServerOptions, "zone" | "shard" | "config">;
  /** initTelemetry options (a log destination for tests, export bounds). */
  readonly telemetry?: TelemetryOptions;
  /** Build version told to clients and Sentry (default: the package.json version). */
  readonly build?: string;
  /** Deployment environment for crash reports (default: NODE_ENV when it is a plain token, else "production"). */
  readonly environment?: string;
  /** Feature flags: another OpenFeature provider instead of flags.json (FLAGS_FILE), and the reload debounce. */
  readonly flags?: { readonly provider?: Provider; readonly debounceMs?: number };
  /**
   * Steps of the embedder's own (stopping its bots, its receivers), run by stop() after the
   * game stops accepting players and before the connections close, under the same deadline.
   */
  readonly extraStopSteps?: readonly StopStep[];
  /**
   * Exit status after the zone was taken over by another process (the store fenced this one):
   * the server stops, then `crashPolicy.exit(EXIT_FENCED)` ends the process.
   *
   * The last resort (telemetry/fatal.ts): an uncaught exception or unhandled rejection halts
   * the game, is logged at fatal, counted and reported, telemetry is flushed within
   * `deadlineMs`, then `exit` ends the process non-zero for the supervisor to restart it. The
   * CLI passes process.exit; tests that run servers inside their own process leave it off.
   */
  readonly crashPolicy?: { exit(code: number): void; readonly deadlineMs?: number };
}

/** A running server: its telemetry, the game, and the one way to stop both. */
export interface RunningGame {
  readonly telemetry: TelemetryHandle;
  readonly game: ServerHandle;
  readonly flags: ServerFlags;
  /**
   * Stops accepting players, closes the game, then flushes and closes telemetry, all within
   * the game's shutdownTimeoutMs: a step that hangs is logged by name and abandoned (see
   * shutdown.ts). Resolves with what timed out or failed; never rejects. Idempotent.
   */
  stop(reason?: string): Promise<StopReport>;
}

/** Outcomes caused by what a client sent (counted as game_errors_total{class="ingest_rejected"}). */
const REJECTED_INGEST: readonly IngestOutcome[] = ["malformed", "invalid", "oversized", "unsupported"];
const REJECTED_TUNNEL: readonly TunnelOutcome[] = ["malformed", "oversized", "dsn_mismatch", "unsupported"];
const REJECTED_RELAY: readonly RelayOutcome[] = ["malformed", "invalid", "session", "oversized", "unsupported"];

/** What clients accept as a build version (breadcrumb token) and as an environment name. */
const BUILD_TOKEN = /^[a-z0-9.-]{1,32}$/;
const ENVIRONMENT_TOKEN = /^[a-z0-9._-]{1,32}$/;
/** Exit status of a server whose zone another process took over (EX_TEMPFAIL). */
export const EXIT_FENCED = 75;
/** Time kept for the telemetry flush at the end of a stop even when earlier steps hang (ms). */
const TELEMETRY_STOP_RESERVE_MS = 3000;

/**
 * Validates the telemetry and game settings from `env` (a bad one rejects with an error that
 * names it, before any port is bound), starts telemetry, then the game server.
 */
export async function startGame(
  env: Readonly<Record<string, string | undefined>>,
  opts: StartGameOptions = {},
): Promise<RunningGame> {
  const { routes = [], autoTick, systems, ...fixed } = opts.server ?? {};
  const cfg = loadServerConfig(env, opts.argv ?? [], fixed);
  const flagsFile = opts.flags?.provider === undefined ? flagsFileFrom(env) : null;
  if (flagsFile !== null) readFlagFile(flagsFile);

  const build = opts.build ?? packageVersion();
  const environment = opts.environment ?? (env.NODE_ENV !== undefined && ENVIRONMENT_TOKEN.test(env.NODE_ENV) ? env.NODE_ENV : "production");
  const faults = faultsEnabled(env) ? new FaultSwitch() : undefined;
  // With the crash policy ours, Sentry must not install a second uncaught-exception handler.
  const sentryCapture = opts.crashPolicy === undefined ? {} : { sentryCaptureUncaught: false };
  const telemetry = await initTelemetry(cfg, { release: `voxel-shooter@${build}`, environment, ...sentryCapture, ...withFaults(opts.telemetry, faults) });
  const log = telemetry.logger.forComponent("server");
  let traceRatio = cfg.traceSample;
  let flags: ServerFlags | undefined;
  let game: ServerHandle | undefined;
  let stopOnFence: () => void = () => {};
  // Upstream failures of the relay and the tunnel: counted with the game port's socket errors.
  const upstreamError = (err: unknown): void => {
    const code = socketErrorCode(err);
    if (game !== undefined) game.game.stats.recordSocketError("forward", code);
    else telemetry.metrics.socketError("game", "forward", code);
  };
  try {
    flags = await ServerFlags.start({
      file: flagsFile,
      provider: opts.flags?.provider,
      targetingKey: `${cfg.zone}/${cfg.shard}`,
      log,
      debounceMs: opts.flags?.debounceMs,
      onTraceRatio: (ratio) => {
        traceRatio = ratio ?? cfg.traceSample;
        telemetry.setTraceSample(traceRatio);
      },
    });
    const current = flags;
    // Precedence: defaults < file < environment < flags < what the caller fixes in code.
    const { tickHz, interestRadius } = current.applied;
    const flagged = { ...(tickHz === undefined ? {} : { tickHz }), ...(interestRadius === undefined ? {} : { interestRadius }) };
    game = await startServer({
      config: loadServerConfig(env, opts.argv ?? [], { ...flagged, ...fixed }),
      autoTick,
      onFenced: () => stopOnFence(),
      metricsAddress: telemetry.metricsServer === undefined ? null : new URL(telemetry.metricsServer.url).host,
      systems: faults === undefined ? systems : faults.wrapSystems(systems ?? SYSTEM_ORDER),
      routes: [
        ...routes,
        clientFlagsRoute(() => current.clientDefinitions()),
        ...telemetryRoutes(cfg, telemetry, { build, environment, traceRatio: () => traceRatio }, upstreamError),
      ],
    });
  } catch (err) {
    await flags?.close();
    await telemetry.shutdown();
    throw listenError(err, cfg.host, cfg.port);
  }
  const runningFlags = flags;
  if (faults !== undefined) {
    faults.attachGame(game.url);
    log.warn({ faults: "on" }, "fault switch on (FAULTS=1): development only, PUT /debug/faults/<name> on the metrics listener");
  }

  const running = game;
  const world = running.game;
  telemetry.metricsServer?.setWorldReport(() => ({
    zone: running.config.zone, committed_seq: world.log.committedSeq, snapshot_seq: world.log.snapshotSeq, checksum: running.checksum(),
  }));
  const [halt] = running.stopSteps();
  const uninstallFatal = opts.crashPolicy === undefined
    ? () => {}
    : installFatalHandlers({
      telemetry,
      halt: () => void halt.run(),
      exit: opts.crashPolicy.exit,
      deadlineMs: opts.crashPolicy.deadlineMs,
      release: `voxel-shooter@${build}`,
      environment,
    });
  let stopping: Promise<StopReport> | undefined;
  const handle: RunningGame = {
    telemetry,
    game: running,
    flags: runningFlags,
    stop(reason = "stop") {
      stopping ??= (async () => {
        log.info({ reason }, "shutting down");
        faults?.clearAll();
        const [first, ...rest] = running.stopSteps();
        const closeFlags: StopStep = { name: "close flags", run: () => runningFlags.close() };
        const flush: StopStep = { name: "flush telemetry", reserveMs: TELEMETRY_STOP_RESERVE_MS, run: () => telemetry.shutdown() };
        const steps = [first, ...(opts.extraStopSteps ?? []), ...rest, closeFlags, flush];
        const report = await runStopSteps(steps, running.config.shutdownTimeoutMs, log);
        // The telemetry step flushed the logs, unless it was the one that hung; lines about it go out now.
        telemetry.logger.flushSync();
        uninstallFatal();
        return report;
      })();
      return stopping;
    },
  };
  stopOnFence = () => void handle.stop("zone taken over by another server").then(() => opts.crashPolicy?.exit(EXIT_FENCED));
  return handle;
}

/** Telemetry options plus the fault switch's hooks (failing exports, its route) when it is on. */
function withFaults(base: TelemetryOptions | undefined, faults: FaultSwitch | undefined): TelemetryOptions {
  if (faults === undefined) return { ...base };
  return {
    ...base,
    export: { ...base?.export, failExport: faults.dropExports },
    metricsRoutes: [faults.route, ...(base?.metricsRoutes ?? [])],
  };
}

/** The client-telemetry routes; each answers 404 "ingest_off" while CLIENT_TELEMETRY is off. */
function telemetryRoutes(
  cfg: ServerConfig,
  telemetry: TelemetryHandle,
  client: { build: string; environment: string; traceRatio: () => number },
  upstreamError: (err: unknown) => void,
): HttpRoute[] {
  const log = telemetry.logger.forComponent("ingest");
  const enabled = (): boolean => cfg.clientTelemetry;
  const rejected = (source: string, outcome: string): void => {
    telemetry.metrics.error("ingest_rejected");
    log.debug({ source, outcome }, "client telemetry rejected");
  };
  // The ratio follows the trace-ratio flag, so clients and server keep sampling the same traces.
  const clientConfig = (): ClientConfigSource => ({
    traceSampleRatio: client.traceRatio(),
    sentryDsn: cfg.sentryDsn,
    environment: client.environment,
    build: client.build,
  });
  return [
    createIngestHandler({
      enabled,
      metrics: telemetry.clientMetrics,
      config: clientConfig,
      onOutcome: (outcome) => {
        if (REJECTED_INGEST.includes(outcome)) rejected("breadcrumbs", outcome);
      },
    }),
    createSentryTunnel({
      enabled,
      dsn: () => cfg.sentryDsn,
      inbox: telemetry.crashInbox,
      onUpstreamError: upstreamError,
      metrics: telemetry.clientMetrics,
      onOutcome: (outcome) => {
        if (REJECTED_TUNNEL.includes(outcome)) rejected("sentry", outcome);
        else if (outcome === "upstream_error") log.warnLimited("sentry_tunnel_upstream", {}, "crash report not forwarded: the Sentry host failed");
      },
    }),
    createOtlpRelay({
      enabled,
      endpoint: () => cfg.otlpEndpoint,
      store: (spans) => telemetry.traceStore.addSpans(spans),
      onUpstreamError: upstreamError,
      metrics: telemetry.clientMetrics,
      onOutcome: (outcome) => {
        if (REJECTED_RELAY.includes(outcome)) rejected("traces", outcome);
        else if (outcome === "upstream_error") log.warnLimited("otlp_relay_upstream", {}, "client spans not forwarded: the OTLP endpoint failed");
      },
    }),
  ];
}

/** FLAGS_FILE: the flags.json to use, "off" for none; default the repository's flags.json. */
function flagsFileFrom(env: Readonly<Record<string, string | undefined>>): string | null {
  const raw = env.FLAGS_FILE?.trim() ?? "";
  if (raw.toLowerCase() === "off") return null;
  return raw === "" ? fileURLToPath(new URL("../../flags.json", import.meta.url)) : raw;
}

/** A failure to bind the game port, restated with the setting an operator changes (PORT or HOST). */
function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === "EADDRINUSE" || code === "EACCES") return new Error(`PORT: cannot listen on ${host}:${port}: ${code}`, { cause: err });
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") return new Error(`HOST: cannot listen on ${host}: ${code}`, { cause: err });
  return err;
}

/** The package.json version as a build token ("unknown" when the file is not beside the sources). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    const v = typeof pkg.version === "string" ? pkg.version.toLowerCase() : "";
    return BUILD_TOKEN.test(v) ? v : "unknown";
  } catch {
    return "unknown";
  }
}
