// Client telemetry: local recorders (always on; they feed the dev overlay) and the senders,
// each started only while its consent is granted and the server accepts client telemetry (see
// senders.ts). It is made of features that each install themselves on one shared context, in
// the order listed here, and are disposed in reverse (Sentry's one integration per file).
// Telemetry has no UI: the dev overlay and the settings panel use what this returns.
import type { ConsentStore } from "./consent.ts";
import { createTelemetryContext } from "./context.ts";
import type { ClientTelemetryOptions, TelemetryFeature, TelemetrySources } from "./context.ts";
import { crossTabConsent } from "./cross-tab-consent.ts";
import { devHooks } from "./dev-hooks.ts";
import { deviceWatcher } from "./device-watcher.ts";
import { facadeBackend } from "./facade-backend.ts";
import { figurePoller } from "./figure-poller.ts";
import { frameSampler } from "./frame-sampler.ts";
import { overlaySource } from "./overlay-source.ts";
import type { DevOverlaySource } from "./overlay-source.ts";
import { pageHideFlush } from "./page-hide-flush.ts";
import { senders } from "./senders.ts";

export type { ClientTelemetryOptions, TelemetrySources } from "./context.ts";
export { safeLocalStorage } from "./context.ts";
export { commandTraceparent, reportError } from "./facade.ts";

/** The features, in install order. */
const FEATURES: readonly TelemetryFeature[] = [
  frameSampler, figurePoller, deviceWatcher, senders, crossTabConsent, pageHideFlush, facadeBackend,
  // Dropped from production builds.
  ...(import.meta.env.DEV ? [devHooks] : []),
];

/** Installed client telemetry. */
export interface ClientTelemetry {
  /** The consent store the senders follow (the settings panel's switches write to it). */
  readonly consent: ConsentStore;
  /** Local figures for the dev overlay. */
  readonly overlay: DevOverlaySource;
  /** Adds or replaces figure sources (the renderer and the mesher pool exist only once the session has started). */
  provide(sources: TelemetrySources): void;
  /** Stops the senders at once and removes every listener and timer. */
  dispose(): void;
}

/** Installs client telemetry over the game's figure sources. */
export function installClientTelemetry(sources: TelemetrySources, options: ClientTelemetryOptions = {}): ClientTelemetry {
  const ctx = createTelemetryContext(sources, options);
  const disposers = FEATURES.map((f) => f.install(ctx));
  let disposed = false;
  return {
    consent: ctx.consent,
    overlay: overlaySource(ctx),
    provide: (more) => void Object.assign(ctx.sources, more),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (let i = disposers.length - 1; i >= 0; i--) disposers[i]();
    },
  };
}
