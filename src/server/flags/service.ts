// The server's feature flags through OpenFeature (@openfeature/server-sdk): a client of its own
// domain (so several servers in one process stay apart), OpenTelemetry hooks that put each
// evaluation on the active span, and by default an in-process flagd provider over flags.json,
// validated at start and reloaded when the file changes (a bad change is refused and counted;
// the flags in force stay). Evaluations run inside a flags.evaluate span at start and after
// each change. The server is assigned to variants by its shard (zone/shard): stable across
// restarts and nothing personal.
//
// What each server flag does: trace-ratio applies at once; tick-rate and interest-radius apply
// at start (every client learns them in its welcome), so a change is logged as pending until
// the next start. The experiment variant of the tick-duration histogram is the one in force.
import { NOOP_PROVIDER, OpenFeature } from "@openfeature/server-sdk";
import type { Client, EvaluationDetails, Provider } from "@openfeature/server-sdk";
import { readFileSync } from "node:fs";
import { FLAGS, isExperimentVariant, NO_EXPERIMENT } from "../../shared/flags/definitions.ts";
import type { ExperimentAssignment, FlagSpec } from "../../shared/flags/definitions.ts";
import { FlagFileError, flagsForScope, parseFlagFile } from "../../shared/flags/validate.ts";
import type { FlagFile } from "../../shared/flags/validate.ts";
import { SPAN_NAMES } from "../../shared/telemetry/names.ts";
import { metrics, tracing } from "../telemetry/facade.ts";
import type { Log } from "../telemetry/facade.ts";
import { flagTelemetryHooks } from "../telemetry/flag-hooks.ts";
import { InProcessFlagdProvider } from "./provider.ts";
import { watchFile } from "./watch.ts";
import type { FileWatch } from "./watch.ts";

/** What the server flags say (undefined: the flag leaves the setting to its owner's value). */
export interface ServerFlagSettings {
  readonly tickHz: number | undefined;
  readonly interestRadius: number | undefined;
  readonly traceRatio: number | undefined;
  readonly experiment: ExperimentAssignment;
}

export interface ServerFlagsOptions {
  /** flags.json to evaluate and watch; null runs without flags (every setting at its owner's value). */
  readonly file: string | null;
  /** Another OpenFeature provider instead of the file (a real flagd, a vendor's); `file` is then ignored. */
  readonly provider?: Provider;
  /** The stable, non-personal id variants are assigned by. */
  readonly targetingKey: string;
  /** Called with the trace-ratio after every evaluation (undefined: back to TRACE_SAMPLE). */
  readonly onTraceRatio: (ratio: number | undefined) => void;
  readonly log: Log;
  /** Debounce of file change events (ms). */
  readonly debounceMs?: number;
}

let domains = 0;

/** Reads and validates flags.json (throws FlagFileError naming the flag, or the file when unreadable). */
export function readFlagFile(path: string): { text: string; file: FlagFile } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new FlagFileError(null, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? "read failed"} (FLAGS_FILE)`);
  }
  return { text, file: parseFlagFile(text) };
}

/** A running flag client; settings() is the latest evaluation, applied the one in force since start. */
export class ServerFlags {
  private watch: FileWatch | undefined;
  private latest: ServerFlagSettings;
  private clientDoc: string | null;

  private constructor(
    private readonly client: Client,
    private readonly domain: string,
    private readonly opts: ServerFlagsOptions,
    readonly applied: ServerFlagSettings,
    file: FlagFile | null,
  ) {
    this.latest = applied;
    this.clientDoc = file === null ? null : flagsForScope(file, "client");
  }

  /**
   * Validates the file (or takes the given provider), evaluates the server flags once, and
   * starts watching the file. Rejects with a FlagFileError naming the flag when the file or an
   * evaluated value is invalid.
   */
  static async start(opts: ServerFlagsOptions): Promise<ServerFlags> {
    let provider = opts.provider;
    let file: FlagFile | null = null;
    let text = "";
    if (provider === undefined && opts.file !== null) {
      ({ text, file } = readFlagFile(opts.file));
      provider = new InProcessFlagdProvider(flagsForScope(file, "server"), sdkLogger(opts.log));
    }
    const domain = `voxel-server-${++domains}`;
    if (provider !== undefined) await OpenFeature.setProviderAndWait(domain, provider);
    const client = OpenFeature.getClient(domain);
    client.addHooks(...flagTelemetryHooks());
    const applied = await evaluate(client, opts.targetingKey, "start", true, opts.log);
    metrics.setExperimentVariant(applied.experiment.variant);
    opts.onTraceRatio(applied.traceRatio);
    const flags = new ServerFlags(client, domain, opts, applied, file);
    if (opts.file !== null && provider instanceof InProcessFlagdProvider) {
      const path = opts.file;
      flags.watch = watchFile(path, text, (t) => void flags.reload(t, provider), (err) => {
        opts.log.warnLimited("flags_watch", { error: err.message }, "flags.json could not be read; the flags in force stay");
      }, opts.debounceMs);
    }
    return flags;
  }

  /** The latest evaluation (after the last accepted change). */
  settings(): ServerFlagSettings {
    return this.latest;
  }

  /** The client-scoped flags as a flagd document (GET /flags/v1/client), or null without a file. */
  clientDefinitions(): string | null {
    return this.clientDoc;
  }

  /** Validates changed text; on success swaps it in and re-evaluates, otherwise keeps the flags in force. */
  private async reload(text: string, provider: InProcessFlagdProvider): Promise<void> {
    const log = this.opts.log;
    let file: FlagFile;
    try {
      file = parseFlagFile(text);
    } catch (err) {
      metrics.flagReload("rejected");
      const flag = err instanceof FlagFileError ? err.flag ?? "" : "";
      log.error({ flag, error: (err as Error).message }, "flags.json change refused; the flags in force stay");
      return;
    }
    provider.update(flagsForScope(file, "server"));
    this.clientDoc = flagsForScope(file, "client");
    const next = await evaluate(this.client, this.opts.targetingKey, "reload", false, log);
    metrics.flagReload("ok");
    this.latest = next;
    this.opts.onTraceRatio(next.traceRatio);
    const pending = (["tickHz", "interestRadius"] as const).filter((k) => next[k] !== this.applied[k]);
    const pendingVariant = next.experiment.variant !== this.applied.experiment.variant;
    log.info({
      trace_ratio: next.traceRatio ?? "TRACE_SAMPLE",
      pending_at_restart: [...pending, ...(pendingVariant ? ["experiment"] : [])].join(",") || "none",
    }, "flags.json reloaded");
  }

  /** Stops watching and retires this server's provider (other servers' domains are left alone). */
  async close(): Promise<void> {
    this.watch?.close();
    await OpenFeature.setProviderAndWait(this.domain, NOOP_PROVIDER).catch(() => {});
  }
}

/** OpenFeature's logger interface over ours (debug is dropped: flagd-core is chatty there). */
function sdkLogger(log: Log): { error: (...a: unknown[]) => void; warn: (...a: unknown[]) => void; info: (...a: unknown[]) => void; debug: () => void } {
  const text = (a: unknown[]): string => a.map((x) => (x instanceof Error ? x.message : String(x))).join(" ");
  return {
    error: (...a) => log.warnLimited("flags_provider_error", { detail: text(a) }, "flag provider error"),
    warn: (...a) => log.warnLimited("flags_provider_warn", { detail: text(a) }, "flag provider warning"),
    info: () => {},
    debug: () => {},
  };
}

/**
 * Evaluates every server flag inside a flags.evaluate span (the hooks put one event per flag
 * on it). A value outside its flag's bounds is an error at start and ignored on reload.
 */
async function evaluate(client: Client, targetingKey: string, reason: "start" | "reload", strict: boolean, log: Log): Promise<ServerFlagSettings> {
  return tracing.withSpan(SPAN_NAMES.flagsEvaluate, { reason }, async () => {
    const ctx = { targetingKey };
    const number = async (spec: FlagSpec): Promise<{ value: number | undefined; details: EvaluationDetails<number> }> => {
      const details = await client.getNumberDetails(spec.key, Number.NaN, ctx);
      if (Number.isNaN(details.value)) return { value: undefined, details };
      const ok = spec.values.safeParse(details.value);
      if (ok.success) return { value: details.value, details };
      const message = `evaluated to ${details.value}: ${ok.error.issues[0]?.message ?? "invalid"}`;
      if (strict) throw new FlagFileError(spec.key, message);
      log.error({ flag: spec.key, error: message }, "flag value ignored");
      return { value: undefined, details };
    };
    const tick = await number(FLAGS.tickRate);
    const interest = await number(FLAGS.interestRadius);
    const trace = await number(FLAGS.traceRatio);
    let experiment = NO_EXPERIMENT;
    for (const { details } of [tick, interest, trace]) {
      if (details.flagMetadata.experiment !== true || details.variant === undefined) continue;
      if (isExperimentVariant(details.variant)) experiment = { flag: details.flagKey, variant: details.variant };
      else log.warnLimited("flags_variant", { flag: details.flagKey }, "experiment variant outside the closed set; recorded as none");
    }
    log.info({
      reason,
      tick_rate: tick.value ?? "TICK_HZ",
      interest_radius: interest.value ?? "INTEREST_RADIUS",
      trace_ratio: trace.value ?? "TRACE_SAMPLE",
      experiment: experiment.flag || "none",
      variant: experiment.variant,
    }, "flags evaluated");
    return { tickHz: tick.value, interestRadius: interest.value, traceRatio: trace.value, experiment };
  });
}
