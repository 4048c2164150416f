// Device watcher: follows the game's GPUDevice as it appears and is replaced after a loss,
// attaching the GPU error tracker to the current one (uncaptured errors, loss) and taking the
// adapter's vendor and architecture tokens for the breadcrumbs and crash reports.
import { toToken } from "../../shared/telemetry/breadcrumb.ts";
import type { TelemetryDevice, TelemetryFeature } from "./context.ts";
import { POLL_MS } from "./figure-poller.ts";

export const deviceWatcher: TelemetryFeature = {
  name: "device-watcher",
  install(ctx) {
    const { gpu } = ctx.recorders;
    let attached: TelemetryDevice | null = null;
    let detach: (() => void) | null = null;
    const check = (): void => {
      const device = ctx.sources.device?.() ?? null;
      if (device === attached) return;
      detach?.();
      attached = device;
      detach = device ? gpu.attach(device) : null;
      if (device?.adapterInfo) {
        ctx.meta.gpu.vendor = toToken(device.adapterInfo.vendor);
        ctx.meta.gpu.arch = toToken(device.adapterInfo.architecture);
      }
    };
    const timer = setInterval(check, ctx.options.sampleMs ?? POLL_MS);
    return () => {
      clearInterval(timer);
      detach?.();
    };
  },
};
