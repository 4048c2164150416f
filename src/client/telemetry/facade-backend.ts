// The facade's backend: what game code's telemetry calls (command spans, error reports, GPU
// error scopes) reach while telemetry is installed. Each call goes to the sender running at
// that moment, so a withdrawn consent silences it at once.
import type { TelemetryFeature } from "./context.ts";
import { installClientBackend } from "./facade.ts";
import { withGpuErrorScopes } from "./gpu-errors.ts";

export const facadeBackend: TelemetryFeature = {
  name: "facade-backend",
  install(ctx) {
    const s = ctx.senders;
    const gpu = ctx.recorders.gpu;
    return installClientBackend({
      beginCommand: (id, kind) => s.tracer?.begin(id, kind),
      endCommand: (id, outcome) => s.tracer?.end(id, outcome),
      captureError: (err) => s.crash?.captureError(err),
      gpuScope: async (device, site, fn) => (await withGpuErrorScopes(device, gpu, site, fn)).value,
    });
  },
};
