// The server's default OpenFeature provider: flagd's flag-definition JSON evaluated in-process
// by @openfeature/flagd-core (the evaluation core of flagd's own in-process providers), fed
// from flags.json. update() swaps the definitions and emits ConfigurationChanged, as a flagd
// provider does when its source changes. Any other OpenFeature provider (a real flagd over
// gRPC, a vendor's) can take its place: see startGame's `flags.provider`.
import { FlagdCore, MemoryStorage } from "@openfeature/flagd-core";
import type { EvaluationContext, JsonValue, Logger, Provider, ResolutionDetails } from "@openfeature/server-sdk";
import { OpenFeatureEventEmitter, ProviderEvents } from "@openfeature/server-sdk";
import { FLAGD_OPTIONS } from "../../shared/flags/validate.ts";

/** In-process flagd evaluation of a flag document (validated before it gets here). */
export class InProcessFlagdProvider implements Provider {
  readonly metadata = { name: "flagd-in-process" } as const;
  readonly runsOn = "server" as const;
  readonly events = new OpenFeatureEventEmitter();
  private core: FlagdCore;

  constructor(definitions: string, private readonly log: Logger) {
    this.core = InProcessFlagdProvider.load(definitions, log);
  }

  private static load(definitions: string, log: Logger): FlagdCore {
    const core = new FlagdCore(new MemoryStorage(log, FLAGD_OPTIONS), log);
    core.setConfigurations(definitions);
    return core;
  }

  /** Replaces the definitions; returns the flags that changed and tells the SDK's listeners. */
  update(definitions: string): string[] {
    const next = InProcessFlagdProvider.load(definitions, this.log);
    const changed = [...new Set([...this.core.getFlags().keys(), ...next.getFlags().keys()])].filter(
      (k) => this.core.getFlag(k)?.hash !== next.getFlag(k)?.hash,
    );
    this.core = next;
    this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
    return changed;
  }

  async resolveBooleanEvaluation(key: string, def: boolean, ctx: EvaluationContext, logger: Logger): Promise<ResolutionDetails<boolean>> {
    return this.core.resolveBooleanEvaluation(key, def, ctx, logger);
  }

  async resolveStringEvaluation(key: string, def: string, ctx: EvaluationContext, logger: Logger): Promise<ResolutionDetails<string>> {
    return this.core.resolveStringEvaluation(key, def, ctx, logger);
  }

  async resolveNumberEvaluation(key: string, def: number, ctx: EvaluationContext, logger: Logger): Promise<ResolutionDetails<number>> {
    return this.core.resolveNumberEvaluation(key, def, ctx, logger);
  }

  async resolveObjectEvaluation<T extends JsonValue>(key: string, def: T, ctx: EvaluationContext, logger: Logger): Promise<ResolutionDetails<T>> {
    return this.core.resolveObjectEvaluation(key, def, ctx, logger);
  }
}
