// Page-hide flush: when the tab is hidden or the page goes away, the breadcrumb window so far
// leaves by sendBeacon (or waits in storage for the next start), never later than that.
import type { TelemetryFeature } from "./context.ts";

export const pageHideFlush: TelemetryFeature = {
  name: "page-hide-flush",
  install(ctx) {
    const { doc, win } = ctx;
    const onVisibility = (): void => {
      if (doc.visibilityState === "hidden") ctx.senders.batcher?.flushOnHide();
    };
    const onPageHide = (): void => ctx.senders.batcher?.flushOnHide();
    doc.addEventListener("visibilitychange", onVisibility);
    win.addEventListener("pagehide", onPageHide);
    return () => {
      doc.removeEventListener("visibilitychange", onVisibility);
      win.removeEventListener("pagehide", onPageHide);
    };
  },
};
