// Development hooks on window.__voxelTelemetry, for manual checks and end-to-end tests:
// flush() sends what is queued now, testCrash() throws an uncaught error, state() reports
// consent and delivery. Installed only in development builds (see index.ts).
import type { TelemetryFeature } from "./context.ts";
import { deliveryState } from "./senders.ts";

const KEY = "__voxelTelemetry";

export const devHooks: TelemetryFeature = {
  name: "dev-hooks",
  install(ctx) {
    const s = ctx.senders;
    const hooks = {
      flush: async () => {
        await Promise.all([s.batcher?.tick(), s.tracer?.flush()]);
      },
      testCrash: () => {
        setTimeout(() => {
          throw new Error("voxel-shooter test crash");
        }, 0);
      },
      state: () => ({ consent: { performance: ctx.consent.state("performance"), crash: ctx.consent.state("crash") }, delivery: deliveryState(s) }),
    };
    const win = ctx.win as unknown as Record<string, unknown>;
    win[KEY] = hooks;
    return () => {
      delete win[KEY];
    };
  },
};
