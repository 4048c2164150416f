// The page's feature flags through OpenFeature's web SDK (@openfeature/web-sdk): the server's
// client-scoped flags (GET /flags/v1/client, flagd's flag-definition JSON) evaluated in the
// page by flagd-core in interpreter mode, so neither eval nor new Function is needed under the
// page's Content-Security-Policy. Variants are assigned by a random id the page keeps in
// localStorage: stable across visits, tied to nothing personal, and it never leaves the page
// (the evaluation is local). What leaves is only the experiment variant, in breadcrumbs, and
// those are sent only with performance consent (telemetry/index.ts).
//
// Fetching the flags sends nothing about the player. If they cannot be had (offline play, an
// old server, a timeout), every setting keeps its default.
import { OpenFeature } from "@openfeature/web-sdk";
import type { EvaluationDetails, FlagValue } from "@openfeature/web-sdk";
import { CLIENT_FLAGS_PATH, FLAGS, isExperimentVariant, NO_EXPERIMENT } from "../../shared/flags/definitions.ts";
import type { ExperimentAssignment, FlagSpec, MesherMode } from "../../shared/flags/definitions.ts";
import { flagsForScope, parseFlagFile } from "../../shared/flags/validate.ts";
import { randomToken } from "../telemetry/ids.ts";
import { InProcessFlagdWebProvider } from "./provider.ts";

/** localStorage key of the id variants are assigned by. */
export const FLAGS_ID_KEY = "voxel.flags.id";
const DOMAIN = "voxel-client";

/** What the client flags say (undefined: the setting keeps its own default). */
export interface ClientFlagValues {
  readonly viewChunks: number | undefined;
  readonly mesherMode: MesherMode;
  readonly experiment: ExperimentAssignment;
}

/** No flags: every setting at its default. */
export const DEFAULT_CLIENT_FLAGS: ClientFlagValues = { viewChunks: undefined, mesherMode: "pool", experiment: NO_EXPERIMENT };

type StorageLike = Pick<Storage, "getItem" | "setItem">;

export interface LoadFlagsOptions {
  readonly fetch: (url: string, init: { signal: AbortSignal; headers: Record<string, string> }) => Promise<Pick<Response, "ok" | "text">>;
  readonly storage: StorageLike | null;
  /** Give up on the server after this long (default 1500 ms) and use the defaults. */
  readonly timeoutMs?: number;
}

/** The page's stable random id (made on first use; a page without storage gets a fresh one each load). */
export function flagsTargetingKey(storage: StorageLike | null): string {
  try {
    const kept = storage?.getItem(FLAGS_ID_KEY);
    if (kept !== null && kept !== undefined && /^[a-z0-9]{24}$/.test(kept)) return kept;
    const id = randomToken(24);
    storage?.setItem(FLAGS_ID_KEY, id);
    return id;
  } catch {
    return randomToken(24);
  }
}

/** Fetches and evaluates the client flags; never rejects (failures fall back to the defaults). */
export async function loadClientFlags(opts: LoadFlagsOptions): Promise<ClientFlagValues> {
  let text: string;
  try {
    const res = await opts.fetch(CLIENT_FLAGS_PATH, { signal: AbortSignal.timeout(opts.timeoutMs ?? 1500), headers: { accept: "application/json" } });
    if (!res.ok) return DEFAULT_CLIENT_FLAGS;
    text = await res.text();
  } catch {
    return DEFAULT_CLIENT_FLAGS;
  }
  try {
    return await evaluateClientFlags(text, flagsTargetingKey(opts.storage));
  } catch (err) {
    console.warn("feature flags ignored:", err instanceof Error ? err.message : err);
    return DEFAULT_CLIENT_FLAGS;
  }
}

/** Validates a flag document and evaluates the client flags for `targetingKey` through OpenFeature. */
export async function evaluateClientFlags(text: string, targetingKey: string): Promise<ClientFlagValues> {
  const file = parseFlagFile(text);
  await OpenFeature.setProviderAndWait(DOMAIN, new InProcessFlagdWebProvider(flagsForScope(file, "client")), { targetingKey });
  const client = OpenFeature.getClient(DOMAIN);
  const checked = <T extends FlagValue>(spec: FlagSpec, d: EvaluationDetails<T>): T | undefined =>
    d.variant !== undefined && spec.values.safeParse(d.value).success ? d.value : undefined;
  const view = client.getNumberDetails(FLAGS.viewDistance.key, Number.NaN);
  const mesher = client.getStringDetails(FLAGS.mesherMode.key, DEFAULT_CLIENT_FLAGS.mesherMode);
  let experiment = NO_EXPERIMENT;
  for (const d of [view, mesher] as EvaluationDetails<FlagValue>[]) {
    if (d.flagMetadata.experiment === true && d.variant !== undefined && isExperimentVariant(d.variant)) {
      experiment = { flag: d.flagKey, variant: d.variant };
    }
  }
  return {
    viewChunks: checked(FLAGS.viewDistance, view),
    mesherMode: (checked(FLAGS.mesherMode, mesher) as MesherMode | undefined) ?? DEFAULT_CLIENT_FLAGS.mesherMode,
    experiment,
  };
}
