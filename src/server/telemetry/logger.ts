/**
 * pino backend for the facade's Log. One JSON line per event with string `level`, ISO `time`,
 * `component`, `zone`, `shard` and the active span's `trace_id`/`span_id`. Per-component levels
 * come from the LOG_LEVEL directives. Player identity never reaches a line: sensitive keys are
 * redacted (in our wrapper and again by pino's `redact` for bindings), e-mail/token-looking
 * substrings are masked and long strings truncated (masking first, so a cut never leaves part
 * of a secret), and Error objects become {type, message, stack} masked the same way, so a raw
 * payload cannot be dumped.
 */
import { isSpanContextValid, trace } from "@opentelemetry/api";
import { pino } from "pino";
import type { DestinationStream, Level, Logger as PinoLogger } from "pino";
import type PinoPretty from "pino-pretty";
import { createRequire } from "node:module";
import { COMPONENTS } from "../../shared/telemetry/names.ts";
import type { Component } from "../../shared/telemetry/names.ts";
import { levelFor } from "./config.ts";
import type { TelemetryConfig } from "./config.ts";
import type { Fields, Log } from "./facade.ts";
import { WarnLimiter } from "./warn-limiter.ts";

const REDACTED = "[redacted]";

/** Keys that name a person, an address, a credential or a raw payload (compared lower-cased). */
const SENSITIVE_KEY =
  /^(name|player_name|playername|user_name|username|display_name|nick|nickname|email|mail|ip|ip_address|ips|remote|remote_address|remoteaddress|remote_addr|peer|peer_address|client_ip|client_addr|x_forwarded_for|forwarded_for|forwarded|token|access_token|refresh_token|id_token|auth|auth_token|authorization|cookie|cookies|set_cookie|password|passwd|secret|api_key|apikey|dsn|payload|body|raw|headers|user_agent)$|_(email|ip|token|secret|password|payload|body|cookie|dsn|headers)$/;

/** The same keys as pino redact paths (top level and one level down), for bindings and nested objects. */
const REDACT_KEYS = [
  "name", "player_name", "playerName", "username", "display_name", "email", "ip", "ip_address", "remote_address",
  "remoteAddress", "client_ip", "token", "access_token", "authorization", "cookie", "password", "secret", "dsn",
  "payload", "body", "headers",
] as const;
const REDACT_PATHS = [...REDACT_KEYS, ...REDACT_KEYS.map((k) => `*.${k}`)];

const EMAIL = /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g;
const TOKENISH = /\bBearer\s+\S+|\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;
const MAX_STRING = 512;
/** Stack traces keep more lines than other strings. */
const MAX_STACK = 4096;

/**
 * Masks e-mail and token-looking substrings, then truncates, so free text cannot carry PII or
 * payloads. Masking runs on the whole string first: a cut can never leave half a secret.
 */
function scrubString(s: string, max = MAX_STRING): string {
  let out = s;
  if (out.includes("@")) out = out.replace(EMAIL, REDACTED);
  if (out.includes("Bearer") || out.includes("eyJ")) out = out.replace(TOKENISH, REDACTED);
  return out.length > max ? `${out.slice(0, max)}…[truncated ${out.length - max}]` : out;
}

/** An Error as a plain, masked record (pino would otherwise log its message and stack as they are). */
function scrubError(e: Error): { type: string; message: string; stack: string | undefined } {
  return { type: scrubString(e.name), message: scrubString(e.message), stack: e.stack === undefined ? undefined : scrubString(e.stack, MAX_STACK) };
}

/** Returns fields safe to log; copies only when something had to change. */
export function sanitizeFields(fields: Fields): Fields {
  let out: Fields | undefined;
  for (const key in fields) {
    const v: unknown = fields[key];
    let safe: unknown = v;
    if (SENSITIVE_KEY.test(key.toLowerCase())) safe = REDACTED;
    else if (typeof v === "string") safe = scrubString(v);
    else if (v instanceof Error) safe = scrubError(v);
    else if (v !== null && typeof v === "object") safe = "[object]";
    if (safe !== v) {
      out ??= { ...fields };
      (out as Record<string, unknown>)[key] = safe;
    }
  }
  return out ?? fields;
}

function traceMixin(): Record<string, string> {
  // A fresh object each call: pino's default merge strategy mutates the mixin result.
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

export interface LoggerOptions {
  /** Where lines go (tests pass a capturing stream); default: async fd 1, or pino-pretty if !jsonLogs. */
  readonly destination?: DestinationStream;
  /** Called once per suppressed warnLimited call (feeds game_log_dropped_total). */
  readonly onDropped?: (component: Component) => void;
  /** warnLimited budget per call site; default 1 line per 10 s. */
  readonly rateLimit?: { readonly burst: number; readonly intervalMs: number };
  readonly now?: () => number;
}

export interface TelemetryLogger {
  readonly pino: PinoLogger;
  /** The cached Log of one component (what the facade's logger(component) resolves to). */
  forComponent(component: Component): Log;
  /** Logs at info even if the component's level is higher (unless "silent"): the startup config line. */
  announce(component: Component, fields: Fields, msg: string): void;
  /** Flushes buffered lines (async destination) with a time bound. */
  flush(timeoutMs?: number): Promise<void>;
  /** Best-effort synchronous flush for exit paths. */
  flushSync(): void;
}

interface Shared {
  readonly limiter: WarnLimiter;
  readonly onDropped: (component: Component) => void;
}

class PinoLog implements Log {
  constructor(
    private readonly p: PinoLogger,
    private readonly component: Component,
    private readonly shared: Shared,
  ) {}

  private write(level: Level, fields: Fields, msg: string): void {
    // Level check first so disabled debug calls in hot paths cost one comparison.
    if (!this.p.isLevelEnabled(level)) return;
    this.p[level](sanitizeFields(fields), scrubString(msg));
  }

  debug(fields: Fields, msg: string): void {
    this.write("debug", fields, msg);
  }
  info(fields: Fields, msg: string): void {
    this.write("info", fields, msg);
  }
  warn(fields: Fields, msg: string): void {
    this.write("warn", fields, msg);
  }
  error(fields: Fields, msg: string): void {
    this.write("error", fields, msg);
  }

  warnLimited(site: string, fields: Fields, msg: string): void {
    if (!this.p.isLevelEnabled("warn")) return;
    const dropped = this.shared.limiter.take(`${this.component}\u0000${site}`);
    if (dropped === undefined) {
      this.shared.onDropped(this.component);
      return;
    }
    this.p.warn({ ...sanitizeFields(fields), site, dropped }, scrubString(msg));
  }

  child(fields: Fields): Log {
    return new PinoLog(this.p.child(sanitizeFields(fields)), this.component, this.shared);
  }
}

/** pino-pretty, required only for a terminal (JSON_LOGS=false): a server logging JSON never loads it. */
function loadPinoPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
}

function defaultDestination(json: boolean): DestinationStream {
  if (json) return pino.destination({ dest: 1, sync: false });
  // Dev terminal: pretty, synchronous so nothing is lost on Ctrl-C.
  return loadPinoPretty()({
    colorize: Boolean(process.stdout.isTTY),
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "zone,shard",
    sync: true,
  });
}

/** Creates the pino root and one cached child per component with its directive level. */
export function createLogger(cfg: TelemetryConfig, opts: LoggerOptions = {}): TelemetryLogger {
  const destination = opts.destination ?? defaultDestination(cfg.jsonLogs);
  const root = pino(
    {
      level: cfg.logLevel.default,
      base: { zone: cfg.zone, shard: cfg.shard },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: "msg",
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceMixin,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      // sanitizeFields already turned Errors into masked {type, message, stack}; pino's own err
      // serializer would re-read that record (and call it an Object).
      serializers: { err: (v: unknown) => v },
    },
    destination,
  );
  const shared: Shared = {
    limiter: new WarnLimiter({
      burst: opts.rateLimit?.burst ?? 1,
      intervalMs: opts.rateLimit?.intervalMs ?? 10_000,
      now: opts.now,
    }),
    onDropped: opts.onDropped ?? (() => {}),
  };
  const byComponent = new Map<Component, PinoLog>();
  const children = new Map<Component, PinoLogger>();
  for (const c of COMPONENTS) {
    const child = root.child({ component: c }, { level: levelFor(cfg.logLevel, c) });
    children.set(c, child);
    byComponent.set(c, new PinoLog(child, c, shared));
  }

  const flushSync = (): void => {
    const d = destination as { flushSync?: () => void };
    try {
      d.flushSync?.();
    } catch {
      // Not ready or mid-write (EAGAIN): the async flush below covers the normal path.
    }
  };

  return {
    pino: root,
    forComponent: (c) => byComponent.get(c) ?? (byComponent.get("server") as PinoLog),
    announce(component, fields, msg) {
      if (levelFor(cfg.logLevel, component) === "silent") return;
      const child = children.get(component) ?? root;
      child.child({}, { level: "info" }).info(sanitizeFields(fields), msg);
    },
    flush(timeoutMs = 1000) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        root.flush(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    flushSync,
  };
}
