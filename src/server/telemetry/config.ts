/**
 * Typed, validated telemetry config. Layering: defaults → optional JSON file
 * (`--telemetry-config <path>` or TELEMETRY_CONFIG) → environment overrides. Any bad value
 * throws a ConfigError whose message starts with the setting's name, so the server can stop
 * with a line an operator can act on. Secrets (DSN, URL credentials) are never echoed back.
 */
import { readFileSync } from "node:fs";
import { COMPONENTS } from "../../shared/telemetry/names.ts";
import type { Component } from "../../shared/telemetry/names.ts";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A default level plus per-component overrides, parsed from "info,net=debug,mesh=warn". */
export interface LogLevelDirectives {
  readonly default: LogLevel;
  readonly components: Readonly<Partial<Record<Component, LogLevel>>>;
}

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

/** A bad telemetry setting; `setting` is the env/file key named at the start of the message. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly setting: string, detail: string) {
    super(`${setting}: ${detail}`);
  }
}

export const DEFAULT_TELEMETRY_CONFIG: TelemetryConfig = {
  logLevel: { default: "info", components: {} },
  jsonLogs: true,
  metricsAddr: { host: "127.0.0.1", port: 9464 },
  otlpEndpoint: undefined,
  traceSample: 0.05,
  clientTelemetry: true,
  sentryDsn: undefined,
  zone: "z0",
  shard: "s0",
  crashDir: undefined,
  devCrashTrigger: false,
};

/** Each setting: its env name and its config-file key. */
const SETTINGS = {
  logLevel: "LOG_LEVEL",
  jsonLogs: "JSON_LOGS",
  metricsAddr: "METRICS_ADDR",
  otlpEndpoint: "OTLP_ENDPOINT",
  traceSample: "TRACE_SAMPLE",
  clientTelemetry: "CLIENT_TELEMETRY",
  sentryDsn: "SENTRY_DSN",
  zone: "ZONE",
  shard: "SHARD",
  crashDir: "CRASH_DIR",
  devCrashTrigger: "DEV_CRASH_TRIGGER",
} as const satisfies Record<keyof TelemetryConfig, string>;
type SettingKey = keyof typeof SETTINGS;

const LABEL_ID = /^[a-z0-9_-]{1,32}$/;
const HOSTNAME = /^[A-Za-z0-9.-]{1,253}$/;

/** Quotes a user value for an error message: truncated, and withheld if it may hold credentials. */
function shown(value: unknown): string {
  const s = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  if (/@|token|secret|password|key=/i.test(s)) return "<redacted>";
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

function isComponent(s: string): s is Component {
  return (COMPONENTS as readonly string[]).includes(s);
}

/** Parses "info,net=debug,mesh=warn" into directives; throws naming `setting` on any bad part. */
export function parseLogLevel(setting: string, raw: string): LogLevelDirectives {
  let def: LogLevel = "info";
  const components: Partial<Record<Component, LogLevel>> = {};
  const parts = raw.split(",").map((p) => p.trim());
  if (parts.length === 1 && parts[0] === "") throw new ConfigError(setting, "must not be empty");
  for (const part of parts) {
    if (part === "") throw new ConfigError(setting, `empty directive in ${shown(raw)}`);
    const eq = part.indexOf("=");
    const name = eq < 0 ? undefined : part.slice(0, eq).trim();
    const level = (eq < 0 ? part : part.slice(eq + 1)).trim().toLowerCase();
    if (!isLogLevel(level)) {
      throw new ConfigError(setting, `unknown level ${shown(level)} in ${shown(raw)} (levels: ${LOG_LEVELS.join(", ")})`);
    }
    if (name === undefined) {
      def = level;
    } else if (isComponent(name)) {
      components[name] = level;
    } else {
      throw new ConfigError(setting, `unknown component ${shown(name)} in ${shown(raw)} (components: ${COMPONENTS.join(", ")})`);
    }
  }
  return { default: def, components };
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

function parseBool(setting: string, raw: unknown): boolean {
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "string") {
    const s = raw.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(s)) return true;
    if (["0", "false", "no", "off"].includes(s)) return false;
  }
  throw new ConfigError(setting, `must be true or false (1/0, yes/no, on/off), got ${shown(raw)}`);
}

function parseSample(setting: string, raw: unknown): number {
  const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    throw new ConfigError(setting, `must be a number in 0..1, got ${shown(raw)}`);
  }
  return n;
}

/** Parses "host:port" (or "[v6]:port", or "off"). Port 0 lets the OS pick (tests). */
export function parseHostPort(setting: string, raw: unknown): HostPort | "off" {
  if (typeof raw !== "string") throw new ConfigError(setting, `must be "host:port" or "off", got ${shown(raw)}`);
  const s = raw.trim();
  if (s.toLowerCase() === "off") return "off";
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const host = m?.[1] ?? m?.[2];
  const port = m ? Number(m[3]) : NaN;
  if (!m || host === undefined || (m[2] !== undefined && !HOSTNAME.test(host)) || port > 65535) {
    throw new ConfigError(setting, `must be "host:port" (port 0..65535) or "off", got ${shown(raw)}`);
  }
  return { host, port };
}

/** Formats a listen address for humans and URLs. */
export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

function parseEndpoint(setting: string, raw: unknown): string | undefined {
  if (typeof raw !== "string") throw new ConfigError(setting, `must be an http(s) URL or "off", got ${shown(raw)}`);
  const s = raw.trim();
  if (s.toLowerCase() === "off") return undefined;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new ConfigError(setting, `must be an http(s) URL or "off", got ${shown(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(setting, `must use http or https, got ${shown(url.protocol)}`);
  }
  if (url.search !== "" || url.hash !== "") throw new ConfigError(setting, "must not have a query or fragment");
  return s.replace(/\/+$/, "");
}

function parseDsn(setting: string, raw: unknown): string | undefined {
  const bad = new ConfigError(setting, 'must be a Sentry DSN like "https://<key>@<host>/<project>" or "off"');
  if (typeof raw !== "string") throw bad;
  const s = raw.trim();
  if (s.toLowerCase() === "off") return undefined;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw bad;
  }
  const project = url.pathname.split("/").filter(Boolean).pop();
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username === "" || !project) throw bad;
  return s;
}

function parseLabelId(setting: string, raw: unknown): string {
  const s = typeof raw === "number" && Number.isInteger(raw) && raw >= 0 ? String(raw) : raw;
  if (typeof s !== "string" || !LABEL_ID.test(s)) {
    throw new ConfigError(setting, `must match [a-z0-9_-]{1,32} (it is a metric label), got ${shown(raw)}`);
  }
  return s;
}

function parseDir(setting: string, raw: unknown): string | undefined {
  if (typeof raw !== "string" || raw.trim() === "" || raw.includes("\0")) throw new ConfigError(setting, `must be a directory path or "off", got ${shown(raw)}`);
  const s = raw.trim();
  return s.toLowerCase() === "off" ? undefined : s;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Applies one raw value (from file or env) to the config being built. */
function apply(cfg: Mutable<TelemetryConfig>, key: SettingKey, setting: string, raw: unknown): void {
  switch (key) {
    case "logLevel":
      if (typeof raw !== "string") throw new ConfigError(setting, `must be a string like "info,net=debug", got ${shown(raw)}`);
      cfg.logLevel = parseLogLevel(setting, raw);
      return;
    case "jsonLogs":
      cfg.jsonLogs = parseBool(setting, raw);
      return;
    case "metricsAddr":
      cfg.metricsAddr = parseHostPort(setting, raw);
      return;
    case "otlpEndpoint":
      cfg.otlpEndpoint = parseEndpoint(setting, raw);
      return;
    case "traceSample":
      cfg.traceSample = parseSample(setting, raw);
      return;
    case "clientTelemetry":
      cfg.clientTelemetry = parseBool(setting, raw);
      return;
    case "sentryDsn":
      cfg.sentryDsn = parseDsn(setting, raw);
      return;
    case "zone":
      cfg.zone = parseLabelId(setting, raw);
      return;
    case "shard":
      cfg.shard = parseLabelId(setting, raw);
      return;
    case "crashDir":
      cfg.crashDir = parseDir(setting, raw);
      return;
    case "devCrashTrigger":
      cfg.devCrashTrigger = parseBool(setting, raw);
      return;
  }
}

/** Reads the JSON config file; keys are the TelemetryConfig field names. Unknown keys are errors (typos). */
function applyFile(cfg: Mutable<TelemetryConfig>, path: string, setting: string): void {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "read failed";
    throw new ConfigError(setting, `cannot read config file ${shown(path)}: ${code}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(setting, `config file ${shown(path)} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ConfigError(setting, `config file ${shown(path)} must hold a JSON object`);
  }
  for (const [key, value] of Object.entries(data)) {
    if (!(key in SETTINGS)) {
      throw new ConfigError(`${path}: ${key}`, `unknown setting (known: ${Object.keys(SETTINGS).join(", ")})`);
    }
    if (value === null) continue;
    apply(cfg, key as SettingKey, `${path}: ${key}`, value);
  }
}

/** Finds `--telemetry-config <path>` or `--telemetry-config=<path>` in argv. */
function configPathFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--telemetry-config") {
      const next = argv[i + 1];
      if (next === undefined || next === "") throw new ConfigError("--telemetry-config", "needs a file path");
      return next;
    }
    if (a.startsWith("--telemetry-config=")) return a.slice("--telemetry-config=".length);
  }
  return undefined;
}

/**
 * Builds the effective config: defaults, then the JSON file named by argv or TELEMETRY_CONFIG,
 * then env overrides. Empty env values count as unset; "off" clears OTLP_ENDPOINT / SENTRY_DSN
 * / METRICS_ADDR.
 */
export function loadTelemetryConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
): TelemetryConfig {
  const cfg: Mutable<TelemetryConfig> = { ...DEFAULT_TELEMETRY_CONFIG };
  const argvPath = configPathFromArgv(argv);
  const envPath = env.TELEMETRY_CONFIG?.trim() || undefined;
  if (argvPath !== undefined) applyFile(cfg, argvPath, "--telemetry-config");
  else if (envPath !== undefined) applyFile(cfg, envPath, "TELEMETRY_CONFIG");
  for (const [key, envName] of Object.entries(SETTINGS) as [SettingKey, string][]) {
    const raw = env[envName];
    if (raw === undefined || raw.trim() === "") continue;
    apply(cfg, key, envName, raw);
  }
  if (cfg.devCrashTrigger && env.NODE_ENV === "production") {
    throw new ConfigError(SETTINGS.devCrashTrigger, "is development-only and refused with NODE_ENV=production");
  }
  return Object.freeze(cfg);
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
  trace_sample: number;
  client_telemetry: boolean;
  sentry: "on" | "off";
} {
  return {
    log_level: formatLogLevel(cfg.logLevel),
    json_logs: cfg.jsonLogs,
    metrics_addr: cfg.metricsAddr === "off" ? "off" : formatHostPort(cfg.metricsAddr),
    otlp_endpoint: cfg.otlpEndpoint === undefined ? "off" : redactUrl(cfg.otlpEndpoint),
    trace_sample: cfg.traceSample,
    client_telemetry: cfg.clientTelemetry,
    sentry: cfg.sentryDsn === undefined ? "off" : "on",
  };
}
