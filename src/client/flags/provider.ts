// The page's OpenFeature provider: flagd's flag-definition JSON evaluated in-process by
// @openfeature/flagd-core in interpreter mode (no eval, no new Function). Evaluation is
// synchronous, as the web SDK's static-context model expects.
import { FlagdCore, MemoryStorage } from "@openfeature/flagd-core";
import type { EvaluationContext, JsonValue, Logger, Provider, ResolutionDetails } from "@openfeature/web-sdk";
import { FLAGD_OPTIONS } from "../../shared/flags/validate.ts";

const QUIET: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

/** In-process flagd evaluation of one (validated) flag document. */
export class InProcessFlagdWebProvider implements Provider {
  readonly metadata = { name: "flagd-in-process" } as const;
  readonly runsOn = "client" as const;
  private readonly core: FlagdCore;

  constructor(definitions: string) {
    this.core = new FlagdCore(new MemoryStorage(QUIET, FLAGD_OPTIONS), QUIET);
    this.core.setConfigurations(definitions);
  }

  resolveBooleanEvaluation(key: string, def: boolean, ctx: EvaluationContext, logger: Logger): ResolutionDetails<boolean> {
    return this.core.resolveBooleanEvaluation(key, def, ctx, logger);
  }

  resolveStringEvaluation(key: string, def: string, ctx: EvaluationContext, logger: Logger): ResolutionDetails<string> {
    return this.core.resolveStringEvaluation(key, def, ctx, logger);
  }

  resolveNumberEvaluation(key: string, def: number, ctx: EvaluationContext, logger: Logger): ResolutionDetails<number> {
    return this.core.resolveNumberEvaluation(key, def, ctx, logger);
  }

  resolveObjectEvaluation<T extends JsonValue>(key: string, def: T, ctx: EvaluationContext, logger: Logger): ResolutionDetails<T> {
    return this.core.resolveObjectEvaluation(key, def, ctx, logger);
  }
}
