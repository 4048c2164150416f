/**
 * The telemetry settings (log levels, the metrics listener, OTLP export, sampling, Sentry, the
 * zone and shard labels), each a zod schema with its environment variable. config.ts layers them
 * with the game settings into the one server configuration; a bad value throws a ConfigError
 * whose message starts with where it came from. Secrets (DSN, URL credentials) are never echoed.
 */
import { z } from "../../shared/zod.ts";
import { COMPONENTS } from "../../shared/telemetry/names.ts";
import type { Component } from "../../shared/telemetry/names.ts";
import { parseSetting, shown } from "../settings.ts";
import type { Setting } from "../settings.ts";

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A default level plus per-component overrides, parsed from "info,net=debug,mesh=warn". */
export interface LogLevelDirectives {
  readonly default: LogLevel;
  readonly components: Readonly<Partial<Record<Component, LogLevel>>>;
}

/** The OTLP/HTTP encodings the exporter speaks (OTEL_EXPORTER_OTLP_PROTOCOL's values, less grpc). */
export const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface TelemetryConfig {
  readonly logLevel: LogLevelDirectives;
  readonly jsonLogs: boolean;
  /** Where /metrics and /debug/* listen; "off" disables the listener. */
  readonly metricsAddr: HostPort | "off";
  /** OTLP/HTTP base URL (the exporter appends /v1/traces); undefined = in-memory traces only. */
  readonly otlpEndpoint: string | undefined;
  /**
   * How exported spans are encoded: "http/protobuf" (OpenTelemetry's default for OTLP/HTTP, and
   * the cheaper one: the spans are written straight into bytes) or "http/json".
   */
  readonly otlpProtocol: OtlpProtocol;
  readonly traceSample: number;
  readonly clientTelemetry: boolean;
  readonly sentryDsn: string | undefined;
  readonly zone: string;
  readonly shard: string;
  /**
   * Directory where the fatal-exit path writes the server's own crash reports when no Sentry DSN
   * is set; they are loaded into the crash inbox (/debug/crashes) at the next start. Undefined:
   * crash reports stay in memory and in the fatal log line.
   */
  readonly crashDir: string | undefined;
  /** Development only: serve POST /debug/crash on the metrics listener (refused with NODE_ENV=production). */
  readonly devCrashTrigger: boolean;
}

export const DEFAULT_TELEMETRY_CONFIG: TelemetryConfig = {
  logLevel: { default: "info", components: {} },
  jsonLogs: true,
  metricsAddr: { host: "127.0.0.1", port: 9464 },
  otlpEndpoint: undefined,
  otlpProtocol: "http/protobuf",
  traceSample: 0.05,
  clientTelemetry: true,
  sentryDsn: undefined,
  zone: "z0",
  shard: "s0",
  crashDir: undefined,
  devCrashTrigger: false,
};

const LABEL_ID = /^[a-z0-9_-]{1,32}$/;
const HOSTNAME = /^[A-Za-z0-9.-]{1,253}$/;
const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/;
const TRUE_WORDS = ["1", "true", "yes", "on"];
const BOOL_WORDS = [...TRUE_WORDS, "0", "false", "no", "off"] as const;

/** Fails a transform with `message` as the setting's whole error detail. */
function fail(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: "custom", message });
  return z.NEVER;
}

const isOff = (s: string): boolean => s.toLowerCase() === "off";

function urlOf(s: string): URL | null {
  try {
    return new URL(s);
  } catch {
    return null;
  }
}

const bool = z.union([z.boolean(), z.string().trim().toLowerCase().pipe(z.enum(BOOL_WORDS)).transform((w) => TRUE_WORDS.includes(w))]);

const logLevel = z.unknown().transform((raw, ctx) =>
  typeof raw === "string" ? directivesOrError(raw, ctx) : fail(ctx, `must be a string like "info,net=debug", got ${shown(raw)}`));

const hostPort = z.string().trim().transform((s, ctx): HostPort | "off" => {
  if (isOff(s)) return "off";
  const m = HOST_PORT.exec(s);
  const host = m?.[1] ?? m?.[2];
  const port = m ? Number(m[3]) : NaN;
  if (!m || host === undefined || (m[2] !== undefined && !HOSTNAME.test(host)) || port > 65535) {
    return fail(ctx, `must be "host:port" (port 0..65535) or "off", got ${shown(s)}`);
  }
  return { host, port };
});

const endpoint = z.string().trim().transform((s, ctx): string | undefined => {
  if (isOff(s)) return undefined;
  const url = urlOf(s);
  if (url === null) return fail(ctx, `must be an http(s) URL or "off", got ${shown(s)}`);
  if (url.protocol !== "http:" && url.protocol !== "https:") return fail(ctx, `must use http or https, got ${shown(url.protocol)}`);
  if (url.search !== "" || url.hash !== "") return fail(ctx, "must not have a query or fragment");
  return s.replace(/\/+$/, "");
});

const DSN_EXPECTED = 'must be a Sentry DSN like "https://<key>@<host>/<project>" or "off"';
// Never echoed: a DSN holds a key.
const dsn = z.unknown().transform((raw, ctx): string | undefined => {
  const s = typeof raw === "string" ? raw.trim() : "";
  if (isOff(s)) return undefined;
  const url = urlOf(s);
  const project = url?.pathname.split("/").filter(Boolean).pop();
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.username === "" || !project) return fail(ctx, DSN_EXPECTED);
  return s;
});

const labelId = z.union([z.number().int().nonnegative().transform(String), z.string()]).pipe(z.string().regex(LABEL_ID));

const dir = z.string().trim().min(1).refine((s) => !s.includes("\0")).transform((s) => (isOff(s) ? undefined : s));

/** Every telemetry setting: its schema, environment variable and failure text (file keys are the field names). */
export const TELEMETRY_SETTINGS: { readonly [K in keyof TelemetryConfig]-?: Setting<TelemetryConfig[K]> } = {
  logLevel: { env: "LOG_LEVEL", schema: logLevel, expected: "must be a log level" },
  jsonLogs: { env: "JSON_LOGS", schema: bool, expected: "must be true or false (1/0, yes/no, on/off)" },
  metricsAddr: { env: "METRICS_ADDR", schema: hostPort, expected: 'must be "host:port" or "off"' },
  otlpEndpoint: { env: "OTLP_ENDPOINT", schema: endpoint, expected: 'must be an http(s) URL or "off"' },
  otlpProtocol: { env: "OTLP_PROTOCOL", schema: z.string().trim().pipe(z.enum(OTLP_PROTOCOLS)), expected: `must be one of ${OTLP_PROTOCOLS.join(", ")}` },
  traceSample: {
    env: "TRACE_SAMPLE",
    schema: z.union([z.number(), z.string().trim().min(1).transform(Number)]).pipe(z.number().min(0).max(1)),
    expected: "must be a number in 0..1",
  },
  clientTelemetry: { env: "CLIENT_TELEMETRY", schema: bool, expected: "must be true or false (1/0, yes/no, on/off)" },
  sentryDsn: { env: "SENTRY_DSN", schema: dsn, expected: DSN_EXPECTED },
  zone: { env: "ZONE", schema: labelId, expected: "must match [a-z0-9_-]{1,32} (it is a metric label)" },
  shard: { env: "SHARD", schema: labelId, expected: "must match [a-z0-9_-]{1,32} (it is a metric label)" },
  crashDir: { env: "CRASH_DIR", schema: dir, expected: 'must be a directory path or "off"' },
  devCrashTrigger: { env: "DEV_CRASH_TRIGGER", schema: bool, expected: "must be true or false (1/0, yes/no, on/off)" },
};

function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

function isComponent(s: string): s is Component {
  return (COMPONENTS as readonly string[]).includes(s);
}

/** The directives of "info,net=debug", or (through ctx) what is wrong with them. */
function directivesOrError(raw: string, ctx: z.RefinementCtx): LogLevelDirectives {
  let def: LogLevel = "info";
  const components: Partial<Record<Component, LogLevel>> = {};
  const parts = raw.split(",").map((p) => p.trim());
  if (parts.length === 1 && parts[0] === "") return fail(ctx, "must not be empty");
  for (const part of parts) {
    if (part === "") return fail(ctx, `empty directive in ${shown(raw)}`);
    const eq = part.indexOf("=");
    const name = eq < 0 ? undefined : part.slice(0, eq).trim();
    const level = (eq < 0 ? part : part.slice(eq + 1)).trim().toLowerCase();
    if (!isLogLevel(level)) return fail(ctx, `unknown level ${shown(level)} in ${shown(raw)} (levels: ${LOG_LEVELS.join(", ")})`);
    if (name === undefined) def = level;
    else if (isComponent(name)) components[name] = level;
    else return fail(ctx, `unknown component ${shown(name)} in ${shown(raw)} (components: ${COMPONENTS.join(", ")})`);
  }
  return { default: def, components };
}

/** Parses "info,net=debug,mesh=warn" into directives; throws a ConfigError naming `setting` on any bad part. */
export function parseLogLevel(setting: string, raw: string): LogLevelDirectives {
  return parseSetting(TELEMETRY_SETTINGS.logLevel, raw, setting);
}

/** Renders directives back to the "info,net=debug" form. */
export function formatLogLevel(d: LogLevelDirectives): string {
  const parts: string[] = [d.default];
  for (const c of COMPONENTS) {
    const l = d.components[c];
    if (l !== undefined) parts.push(`${c}=${l}`);
  }
  return parts.join(",");
}

/** The effective level of one component. */
export function levelFor(d: LogLevelDirectives, component: Component): LogLevel {
  return d.components[component] ?? d.default;
}

/** Formats a listen address for humans and URLs. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** Strips credentials, query and fragment from a URL for display. */
function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = "";
    u.password = "";
    u.search = "";
    u.hash = "";
    return u.toString().replace(/\/+$/, "");
  } catch {
    return "<invalid>";
  }
}

/** The effective-config summary logged once at start; secrets reduced to on/off or stripped. */
export function describeEffectiveConfig(cfg: TelemetryConfig): {
  log_level: string;
  json_logs: boolean;
  metrics_addr: string;
  otlp_endpoint: string;
  otlp_protocol: OtlpProtocol;
  trace_sample: number;
  client_telemetry: boolean;
  sentry: "on" | "off";
} {
  return {
    log_level: formatLogLevel(cfg.logLevel),
    json_logs: cfg.jsonLogs,
    metrics_addr: cfg.metricsAddr === "off" ? "off" : formatHostPort(cfg.metricsAddr),
    otlp_endpoint: cfg.otlpEndpoint === undefined ? "off" : redactUrl(cfg.otlpEndpoint),
    otlp_protocol: cfg.otlpProtocol,
    trace_sample: cfg.traceSample,
    client_telemetry: cfg.clientTelemetry,
    sentry: cfg.sentryDsn === undefined ? "off" : "on",
  };
}
