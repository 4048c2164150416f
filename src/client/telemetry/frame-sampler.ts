// Frame sampler: its own requestAnimationFrame loop, so frame intervals are the display's
// cadence whatever the game loop does, plus the renderer's per-frame CPU time and uploads; and
// the page's visibility, so hidden time is not counted as long frames. Allocation-free per frame.
import type { TelemetryFeature } from "./context.ts";
import { attachVisibility } from "./frame-stats.ts";

export const frameSampler: TelemetryFeature = {
  name: "frame-sampler",
  install(ctx) {
    const { win } = ctx;
    const { frames, uploads } = ctx.recorders;
    let lastRendererFrame = -1;
    let raf = 0;
    const onFrame = (now: number): void => {
      raf = win.requestAnimationFrame(onFrame);
      const r = ctx.sources.renderer?.();
      frames.recordFrame(now, r ? r.frameCpuMs : Number.NaN);
      // A frame's uploads are recorded once, even when the renderer has not drawn since.
      if (r && (r.frame === undefined || r.frame !== lastRendererFrame)) {
        lastRendererFrame = r.frame ?? -1;
        const index = r.uploadIndexBytes ?? 0;
        uploads.record(Math.max(0, r.uploadBytes - index), index, r.uploadMs);
      }
    };
    raf = win.requestAnimationFrame(onFrame);
    const detachVisibility = attachVisibility(ctx.doc, win, frames, ctx.mono);
    return () => {
      win.cancelAnimationFrame(raf);
      detachVisibility();
    };
  },
};
