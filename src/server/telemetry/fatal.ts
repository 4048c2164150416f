/**
 * The last resort: an exception or rejection that escaped everything else. The process is then
 * in an unknown state, so it never carries on. In order:
 *   1. halt the game (no tick, no new player changes anything any more);
 *   2. one `fatal` log line with the error class (and message and stack, scrubbed like every
 *      line), written synchronously;
 *   3. count it (game_fatal_errors_total{origin});
 *   4. report it through the crash path: Sentry when SENTRY_DSN is set, else the local crash
 *      inbox, written to CRASH_DIR so the next process shows it on /debug/crashes;
 *   5. flush Sentry, spans and logs within the deadline;
 *   6. exit non-zero (EXIT_FATAL), so a supervisor restarts the server.
 * A hard timer exits at the deadline whatever is still pending; a second fatal error while
 * this runs exits at once.
 */
import { randomUUID } from "node:crypto";
import type { StackFrame } from "@sentry/core";
import type { CrashEnvelope } from "./crash-inbox.ts";
import type { FatalOrigin } from "./facade.ts";
import type { TelemetryHandle } from "./index.ts";
import { sanitizeFields } from "./logger.ts";

/** Exit status after a fatal error (EX_SOFTWARE: an internal software error). */
export const EXIT_FATAL = 70;

export interface FatalHandlerOptions {
  readonly telemetry: TelemetryHandle;
  /** Stops the game from changing state (first thing done; errors from it are ignored). */
  readonly halt?: () => void;
  /** Ends the process (process.exit; tests inject a recorder). */
  readonly exit: (code: number) => void;
  /** Time for logging, reporting and flushing before the exit happens anyway (default 3000 ms). */
  readonly deadlineMs?: number;
  readonly release?: string;
  readonly environment?: string;
}

/** The class of whatever was thrown: the Error's name, else its constructor's, else its type. */
function errorClass(err: unknown): string {
  if (err instanceof Error) return err.name || err.constructor.name;
  if (typeof err === "object" && err !== null) return (err as object).constructor?.name ?? "Object";
  return typeof err;
}

/** Installs the process-level handlers; returns a function removing them. */
export function installFatalHandlers(opts: FatalHandlerOptions): () => void {
  let handling = false;
  const onFatal = (err: unknown, origin: FatalOrigin): void => {
    if (handling) {
      // A second one while reporting the first: nothing left is trustworthy.
      opts.exit(EXIT_FATAL);
      return;
    }
    handling = true;
    process.exitCode = EXIT_FATAL;
    void reportAndExit(err, origin, opts);
  };
  const onException = (err: unknown): void => onFatal(err, "uncaught_exception");
  const onRejection = (reason: unknown): void => onFatal(reason, "unhandled_rejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}

async function reportAndExit(err: unknown, origin: FatalOrigin, opts: FatalHandlerOptions): Promise<void> {
  const deadlineMs = opts.deadlineMs ?? 3000;
  const start = performance.now();
  const hard = setTimeout(() => opts.exit(EXIT_FATAL), deadlineMs);
  const t = opts.telemetry;
  try {
    opts.halt?.();
  } catch {
    // Halting is best effort; the exit below is not.
  }
  const cls = errorClass(err);
  const e = err instanceof Error ? err : undefined;
  t.logger.pino.fatal(
    sanitizeFields({ component: "server", origin, error_class: cls, error: e?.message ?? String(err), stack: e?.stack }),
    "uncaught error; exiting so the supervisor restarts the server",
  );
  t.logger.flushSync();
  t.metrics.fatal(origin);
  const left = (): number => Math.max(0, deadlineMs - (performance.now() - start) - 100);
  if (t.sentry !== undefined) t.sentry.captureFatal(err, origin, { origin, error_class: cls });
  else t.crashInbox.addDurable(crashEnvelope(err, cls, origin, t, opts, await stackParser(left() - 200)));
  const flushes = Promise.allSettled([t.sentry?.flush(left()), t.forceFlush()]);
  await Promise.race([flushes, new Promise((r) => setTimeout(r, left()))]);
  t.logger.flushSync();
  clearTimeout(hard);
  opts.exit(EXIT_FATAL);
}

type StackParser = (stack: string) => StackFrame[];

/**
 * Sentry's Node stack-line parser (from @sentry/core, the lighter part of the SDK), loaded at the
 * first fatal error: a server without SENTRY_DSN loads no Sentry module at start, which would
 * slow every start (and so recovery after a crash) by most of a second. Null when it cannot be
 * loaded within `timeoutMs` (the report then has no parsed frames; the fatal log line has the stack).
 */
async function stackParser(timeoutMs: number): Promise<StackParser | null> {
  const loaded = Promise.all([import("@sentry/core"), import("@sentry/core/server")]).then(
    ([core, server]): StackParser => core.createStackParser(server.nodeStackLineParser()),
    () => null,
  );
  return Promise.race([loaded, new Promise<null>((r) => setTimeout(() => r(null), timeoutMs))]);
}

/** A Sentry-format event envelope for the local crash inbox (the same shape the tunnel stores). */
function crashEnvelope(err: unknown, cls: string, origin: FatalOrigin, t: TelemetryHandle, opts: FatalHandlerOptions, parse: StackParser | null): CrashEnvelope {
  const eventId = randomUUID().replace(/-/g, "");
  const e = err instanceof Error ? err : undefined;
  const frames = e?.stack !== undefined && parse !== null ? parse(e.stack) : [];
  return {
    header: { event_id: eventId, sent_at: new Date().toISOString() },
    items: [{
      header: { type: "event" },
      payload: {
        event_id: eventId,
        timestamp: Date.now() / 1000,
        platform: "node",
        level: "fatal",
        release: opts.release,
        environment: opts.environment,
        tags: { zone: t.config.zone, shard: t.config.shard, origin },
        exception: {
          values: [{ type: cls, value: e?.message ?? String(err), stacktrace: { frames }, mechanism: { type: origin, handled: false } }],
        },
      },
    }],
  };
}
