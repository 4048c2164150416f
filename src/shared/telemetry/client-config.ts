// The answer of GET /telemetry/v1/config: what the server lets a consenting client send.
// The client asks only after the player grants a consent, and sends nothing when `ingest` is
// false. One zod schema, shared so the server builds exactly what the client parses.

import { z } from "../zod.ts";
import { TOKEN_PATTERN } from "./breadcrumb.ts";

/** Path of the config endpoint on the game port. */
export const CLIENT_CONFIG_PATH = "/telemetry/v1/config";
/** Path of the breadcrumb ingest on the game port. */
export const BREADCRUMBS_PATH = "/telemetry/v1/breadcrumbs";
/** Path of the Sentry envelope tunnel on the game port. */
export const SENTRY_TUNNEL_PATH = "/telemetry/sentry";
/** Path of the OTLP/HTTP trace relay on the game port. */
export const OTLP_TRACES_PATH = "/v1/traces";

/**
 * DSN the browser SDK is given when the server has none: Sentry needs a well-formed DSN to
 * start, and with the tunnel its envelopes reach our server (and its crash inbox) anyway.
 * The .invalid TLD (RFC 2606) can never resolve.
 */
export const PLACEHOLDER_SENTRY_DSN = "https://00000000000000000000000000000000@sentry.invalid/0";

const ENVIRONMENT_PATTERN = /^[a-z0-9._-]{1,32}$/;

/** Where crash reports go: a public DSN, the SDK's sample rate, the environment tag. */
const sentrySchema = z.object({
  dsn: z.string().refine(isDsn, "a public Sentry DSN"),
  sample_rate: z.number().min(0).max(1),
  environment: z.string().regex(ENVIRONMENT_PATTERN),
});

/**
 * The wire shape. Unknown keys are dropped; a malformed `sentry` reads as null (no crash
 * reports) and a malformed `build` as "", while anything else malformed reads as "off".
 */
const clientConfigSchema = z.object({
  v: z.literal(1),
  /** Client telemetry accepted at all. When false the client sends nothing. */
  ingest: z.boolean(),
  /** Head-sampling ratio for client traces, 0..1 (0 = no tracing). */
  trace_sample_ratio: z.number().min(0).max(1),
  /** Crash reporting, or null when the server takes none. */
  sentry: sentrySchema.nullable().catch(null),
  /** Server build version (the client reports its own build in breadcrumbs). */
  build: z.string().regex(TOKEN_PATTERN).catch(""),
});

/** Wire shape of the config. */
export type ClientTelemetryConfig = z.infer<typeof clientConfigSchema>;

/** The config that means "send nothing". */
export const CLIENT_CONFIG_OFF: ClientTelemetryConfig = { v: 1, ingest: false, trace_sample_ratio: 0, sentry: null, build: "" };

/** Parses and checks a config answer; anything malformed reads as "off" (see clientConfigSchema). */
export function parseClientConfig(input: unknown): ClientTelemetryConfig {
  const parsed = clientConfigSchema.safeParse(input);
  return parsed.success && parsed.data.ingest ? parsed.data : CLIENT_CONFIG_OFF;
}

/** Components of a Sentry DSN `scheme://publicKey@host[:port]/[path/]projectId`. */
export interface DsnParts {
  protocol: "http:" | "https:";
  publicKey: string;
  host: string;
  pathPrefix: string;
  projectId: string;
}

/** Parses a Sentry DSN; null when malformed (a secret key part is rejected: never public). */
export function parseDsn(dsn: string): DsnParts | null {
  let u: URL;
  try {
    u = new URL(dsn);
  } catch {
    return null;
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || !u.username || u.password || u.search || u.hash) return null;
  const parts = u.pathname.split("/");
  const projectId = parts.pop() ?? "";
  if (!/^\d+$/.test(projectId)) return null;
  return { protocol: u.protocol, publicKey: u.username, host: u.host, pathPrefix: parts.join("/"), projectId };
}

/** True for a well-formed public DSN. */
function isDsn(dsn: string): boolean {
  return parseDsn(dsn) !== null;
}

/** Same project and key: what the tunnel requires of an envelope's DSN. */
export function sameDsn(a: string, b: string): boolean {
  const x = parseDsn(a);
  const y = parseDsn(b);
  return !!x && !!y && x.publicKey === y.publicKey && x.host === y.host && x.projectId === y.projectId && x.pathPrefix === y.pathPrefix;
}

/** The envelope endpoint of a DSN's Sentry host. */
export function envelopeUrl(d: DsnParts): string {
  return `${d.protocol}//${d.host}${d.pathPrefix}/api/${d.projectId}/envelope/`;
}
