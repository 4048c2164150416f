// The runtime flags the game knows, shared by the server (which validates flags.json and
// serves the client's part) and the client (which evaluates its own). flags.json itself is
// flagd's flag-definition format (https://flagd.dev/reference/flag-definitions/); on top of
// flagd's schema each known flag says here where it is evaluated, what its values may be and
// whether it may be an experiment. Pure: no DOM, no Node.
import { z } from "../zod.ts";
import { EXPERIMENT_VARIANTS } from "../telemetry/names.ts";
import type { ExperimentVariant } from "../telemetry/names.ts";

/** Where the page fetches its flags (the client-scoped part of flags.json). */
export const CLIENT_FLAGS_PATH = "/flags/v1/client";

/** Where a flag is evaluated (the `scope` metadata every flag in flags.json must carry). */
export const FLAG_SCOPES = ["server", "client"] as const;
export type FlagScope = (typeof FLAG_SCOPES)[number];

/** How the client's meshers run: a pool of workers (hardware threads - 1, at most 4) or one worker. */
export const MESHER_MODES = ["pool", "single"] as const;
export type MesherMode = (typeof MESHER_MODES)[number];

/** One known flag: its key in flags.json, scope, OpenFeature value type and value schema. */
export interface FlagSpec {
  readonly key: string;
  readonly scope: FlagScope;
  readonly type: "number" | "string";
  readonly values: z.ZodType<number | string>;
  /** Whether the flag may be marked `"experiment": true` (it then labels the experiment histograms). */
  readonly experiment: boolean;
  readonly help: string;
}

/**
 * Every flag, by name. A flag whose default variant is null (or that is DISABLED) leaves the
 * setting where its owner puts it (TICK_HZ, INTEREST_RADIUS, TRACE_SAMPLE, ?view=); a variant
 * overrides it. Bounds are the owners' bounds (the server applies its values through its
 * config validation again).
 */
export const FLAGS = {
  viewDistance: {
    key: "view-distance", scope: "client", type: "number", values: z.number().int().min(1).max(32), experiment: true,
    help: "View distance in chunks (an explicit ?view= in the page URL wins).",
  },
  mesherMode: {
    key: "mesher-mode", scope: "client", type: "string", values: z.enum(MESHER_MODES), experiment: true,
    help: "Mesher workers: a pool (pool) or one worker (single).",
  },
  tickRate: {
    key: "tick-rate", scope: "server", type: "number", values: z.number().int().min(1).max(120), experiment: true,
    help: "Server tick rate in Hz; applied at start (clients learn it in their welcome).",
  },
  interestRadius: {
    key: "interest-radius", scope: "server", type: "number", values: z.number().min(8).max(1024), experiment: false,
    help: "Entity streaming radius in voxels; applied at start (clients learn it in their welcome).",
  },
  traceRatio: {
    key: "trace-ratio", scope: "server", type: "number", values: z.number().min(0).max(1), experiment: false,
    help: "Head-sampling ratio of new traces, server and clients; applied at once on change.",
  },
} as const satisfies Record<string, FlagSpec>;

/** The spec of a flag key, or undefined for a key the game does not know. */
export function flagByKey(key: string): FlagSpec | undefined {
  for (const spec of Object.values(FLAGS) as FlagSpec[]) if (spec.key === key) return spec;
  return undefined;
}

/** True for a variant name an experiment may use (never "none", which means no experiment). */
export function isExperimentVariant(v: string): v is Exclude<ExperimentVariant, "none"> {
  return v !== "none" && (EXPERIMENT_VARIANTS as readonly string[]).includes(v);
}

/** The experiment a side runs: which flag, and the variant this process or page got. */
export interface ExperimentAssignment {
  readonly flag: string;
  readonly variant: ExperimentVariant;
}

/** No experiment running (or not assigned). */
export const NO_EXPERIMENT: ExperimentAssignment = { flag: "", variant: "none" };
