// Validation of flags.json: flagd's own schema (strict, with flagd-core's precompiled
// validator), then the game's rules for the flags it knows (scope, value bounds, experiment
// variants from the closed set, at most one experiment per side). Every error names the
// flag it is about, so a bad file stops the server with a line an operator can act on.
import { MemoryStorage } from "@openfeature/flagd-core";
import type { Logger } from "@openfeature/core";
import { EXPERIMENT_VARIANTS } from "../telemetry/names.ts";
import { FLAG_SCOPES, flagByKey, isExperimentVariant } from "./definitions.ts";
import type { FlagScope } from "./definitions.ts";

/** A flags.json problem; `flag` is the key it is about (null for the file as a whole). */
export class FlagFileError extends Error {
  override readonly name = "FlagFileError";
  constructor(readonly flag: string | null, detail: string) {
    super(flag === null ? `flags.json: ${detail}` : `flags.json: flag "${flag}": ${detail}`);
  }
}

/** One flag as flagd defines it (the parts the game reads). */
export interface FlagDefinition {
  state: "ENABLED" | "DISABLED";
  variants: Record<string, unknown>;
  defaultVariant?: string | null;
  targeting?: unknown;
  metadata?: Record<string, string | number | boolean>;
}

/** A validated flag file. */
export interface FlagFile {
  /** The file as flagd reads it. */
  readonly json: { flags: Record<string, FlagDefinition>; metadata?: Record<string, unknown>; $schema?: string };
  /** The experiment flag of each side, if one is enabled. */
  readonly experiments: Readonly<Partial<Record<FlagScope, string>>>;
}

const QUIET: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };
/** flagd-core's interpreter mode: no eval or new Function (the page's CSP allows neither). */
export const FLAGD_OPTIONS = { disableDynamicCodeGeneration: true } as const;

/** The first schema error of a flagd ParseError, and the flag it points at. */
function schemaError(err: unknown): { flag: string | null; detail: string } {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
  const json = message.indexOf("[");
  if (json >= 0) {
    try {
      const errors = JSON.parse(message.slice(json)) as { instancePath: string; message: string; params?: Record<string, unknown> }[];
      // The deepest error is the most specific one (anyOf branches report from the top).
      const e = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
      if (e !== undefined) {
        const flag = /^\/flags\/([^/]+)/.exec(e.instancePath)?.[1]?.replace(/~1/g, "/").replace(/~0/g, "~") ?? null;
        const extra = e.params?.additionalProperty === undefined ? "" : ` (${String(e.params.additionalProperty)})`;
        return { flag, detail: `${e.instancePath || "/"} ${e.message}${extra}` };
      }
    } catch {
      // Not the JSON list flagd-core usually appends: fall through to the message.
    }
  }
  return { flag: null, detail: `${message}${cause}` };
}

/** flagd's strict schema validation of one document (throws FlagFileError). */
function flagdValidate(text: string, flag: string | null): void {
  try {
    new MemoryStorage(QUIET, FLAGD_OPTIONS).setConfigurations(text, true);
  } catch (err) {
    const e = schemaError(err);
    throw new FlagFileError(e.flag ?? flag, e.detail);
  }
}

/** The game's rules for one known flag. */
function checkFlag(key: string, def: FlagDefinition): void {
  const spec = flagByKey(key);
  if (spec === undefined) throw new FlagFileError(key, "unknown flag (a typo? the game knows view-distance, mesher-mode, tick-rate, interest-radius, trace-ratio)");
  const scope = def.metadata?.scope;
  if (scope !== spec.scope) throw new FlagFileError(key, `metadata.scope must be "${spec.scope}" (it is evaluated on the ${spec.scope}), got ${JSON.stringify(scope)}`);
  for (const [name, value] of Object.entries(def.variants)) {
    const r = spec.values.safeParse(value);
    if (!r.success) throw new FlagFileError(key, `variant "${name}": ${r.error.issues[0]?.message ?? "invalid value"} (got ${JSON.stringify(value)})`);
  }
  const experiment = def.metadata?.experiment;
  if (experiment !== undefined && typeof experiment !== "boolean") throw new FlagFileError(key, "metadata.experiment must be true or false");
  if (experiment === true) {
    if (!spec.experiment) throw new FlagFileError(key, "cannot be an experiment (it does not change what the experiment histograms measure)");
    for (const name of Object.keys(def.variants)) {
      if (!isExperimentVariant(name)) {
        throw new FlagFileError(key, `experiment variant "${name}" is not one of ${EXPERIMENT_VARIANTS.filter((v) => v !== "none").join(", ")} (the variant label is a closed set)`);
      }
    }
  }
}

/**
 * Parses and validates flags.json text. Throws FlagFileError naming the flag (or the file when
 * it is not JSON or has no flags object).
 */
export function parseFlagFile(text: string): FlagFile {
  let json: FlagFile["json"];
  try {
    json = JSON.parse(text) as FlagFile["json"];
  } catch (err) {
    throw new FlagFileError(null, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== "object" || json === null || typeof json.flags !== "object" || json.flags === null || Array.isArray(json.flags)) {
    throw new FlagFileError(null, 'must be a flagd flag-definition object with a "flags" object');
  }
  // Flag by flag first, so an error inside a flag (even one flagd reports without a path) names it.
  for (const [key, def] of Object.entries(json.flags)) flagdValidate(JSON.stringify({ flags: { [key]: def } }), key);
  flagdValidate(text, null);
  const experiments: Partial<Record<FlagScope, string>> = {};
  for (const [key, def] of Object.entries(json.flags)) {
    checkFlag(key, def);
    if (def.metadata?.experiment !== true || def.state !== "ENABLED") continue;
    const scope = def.metadata.scope as FlagScope;
    const other = experiments[scope];
    if (other !== undefined) throw new FlagFileError(key, `a second ${scope} experiment beside "${other}": one at a time (they would share the variant label)`);
    experiments[scope] = key;
  }
  return { json, experiments };
}

/** The part of a validated file a side evaluates: its flags only, in flagd's file format */
export function flagsForScope(file: FlagFile, scope: FlagScope): string {
  if (!(FLAG_SCOPES as readonly string[]).includes(scope)) throw new Error(`unknown scope ${scope}`);
  const flags: Record<string, FlagDefinition> = {};
  for (const [key, def] of Object.entries(file.json.flags)) if (def.metadata?.scope === scope) flags[key] = def;
  return JSON.stringify({ ...(file.json.metadata ? { metadata: file.json.metadata } : {}), flags });
}
