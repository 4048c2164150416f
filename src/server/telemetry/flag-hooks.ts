/**
 * OpenFeature's OpenTelemetry hooks for the server's flag client: every evaluation becomes a
 * `feature_flag.evaluation` event on the active span (when one is recorded), with the
 * feature_flag.* semantic-convention attributes: feature_flag.key, feature_flag.result.variant,
 * feature_flag.result.value, feature_flag.provider.name, feature_flag.context.id and, for
 * backends and saved queries written against semantic conventions before 1.32, the older
 * feature_flag.variant beside it.
 */
import { SpanEventHook } from "@openfeature/open-telemetry-hooks";
import type { Hook } from "@openfeature/server-sdk";

/** The hooks to add to the flag client (one instance per client). */
export function flagTelemetryHooks(): Hook[] {
  return [
    new SpanEventHook({
      attributeMapper: (_ctx, details) => (details.variant === undefined ? {} : { "feature_flag.variant": details.variant }),
    }),
  ];
}
