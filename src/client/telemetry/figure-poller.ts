// Figure poller: a few times a second, copies the mesh pool's job times, the worker failure
// count and the network counters into the local recorders (cheap and allocation-free; the
// sources are objects the game mutates in place anyway).
import type { TelemetryFeature } from "./context.ts";

/** Default polling period, ms. */
export const POLL_MS = 250;

export const figurePoller: TelemetryFeature = {
  name: "figure-poller",
  install(ctx) {
    const { mesh, aggregator } = ctx.recorders;
    const poll = (): void => {
      const pool = ctx.sources.meshPool?.();
      if (pool) mesh.poll(pool);
      const workers = ctx.sources.workers?.();
      if (workers) mesh.pollWorkers(workers);
      aggregator.sampleNet();
    };
    const timer = setInterval(poll, ctx.options.sampleMs ?? POLL_MS);
    return () => clearInterval(timer);
  },
};
