// Cross-tab consent: a consent change made in another tab of this game (a storage event on the
// consent key) takes effect here at once, withdrawal included.
import { CONSENT_STORAGE_KEY } from "./consent.ts";
import type { TelemetryFeature } from "./context.ts";

export const crossTabConsent: TelemetryFeature = {
  name: "cross-tab-consent",
  install(ctx) {
    const onStorage = (e: StorageEvent): void => {
      if (e.key === CONSENT_STORAGE_KEY) ctx.consent.syncFrom(e.newValue);
    };
    ctx.win.addEventListener("storage", onStorage);
    return () => ctx.win.removeEventListener("storage", onStorage);
  },
};
