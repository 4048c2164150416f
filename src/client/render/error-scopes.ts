// WebGPU error scopes around synchronous GPU work in the middle of a frame (chunk uploads).
//
// The telemetry facade's gpuScope() pushes its scopes, runs the callback, and pops them only
// after awaiting the callback's result. For synchronous work that pop comes after the
// caller's whole task, so in a frame the scopes would also catch the encoding and submit that
// follow the uploads and file their errors under "upload". runGpuScopeSync() closes the
// scopes as soon as the callback returns: gpuScope() is handed a view of the device whose
// pushes go straight to the device, and whose scopes still open after the callback are
// popped there and then. The facade's later popErrorScope() calls receive those results, in
// the order the scopes were popped, so its counting and reporting are unchanged.
import { gpuScope } from "../telemetry/facade.ts";
import type { GpuDeviceLike, GpuErrorLike } from "../telemetry/gpu-errors.ts";

/** A device view for one scoped call; see the file comment. */
class SealedScopes implements GpuDeviceLike {
  private open = 0;
  private readonly popped: Promise<GpuErrorLike | null>[] = [];
  private next = 0;

  constructor(private readonly device: GPUDevice) {}

  get lost(): Promise<{ readonly reason: string; readonly message: string }> {
    return this.device.lost;
  }

  addEventListener(type: "uncapturederror", listener: (ev: GPUUncapturedErrorEvent) => void): void {
    this.device.addEventListener(type, listener);
  }

  removeEventListener(type: "uncapturederror", listener: (ev: GPUUncapturedErrorEvent) => void): void {
    this.device.removeEventListener(type, listener);
  }

  pushErrorScope(filter: GPUErrorFilter): void {
    this.device.pushErrorScope(filter);
    this.open++;
  }

  popErrorScope(): Promise<GpuErrorLike | null> {
    if (this.next < this.popped.length) return this.popped[this.next++];
    // A scope still open: popped before seal() (a facade that pops synchronously), or
    // pushed after it (one that runs the callback later). Either way, pop it now.
    this.open--;
    return this.device.popErrorScope();
  }

  /** Pops every scope this view pushed and has not popped yet, innermost first. */
  seal(): void {
    for (; this.open > 0; this.open--) this.popped.push(this.device.popErrorScope());
  }
}

/**
 * Runs synchronous GPU work inside the facade's error scopes (a no-op without client
 * telemetry) and closes them before returning, so nothing after `fn` is attributed to `site`.
 * Errors the scopes catch are counted and reported by telemetry; an exception from `fn` is
 * rethrown here. Allocates a few small objects per call (as gpuScope() does): call it only on
 * frames that have such work.
 */
export function runGpuScopeSync(device: GPUDevice, site: "upload" | "pipeline", fn: () => void): void {
  const view = new SealedScopes(device);
  const outcome = { failed: false, error: undefined as unknown };
  const scoped = gpuScope(view, site, () => {
    try {
      fn();
    } catch (error) {
      outcome.failed = true;
      outcome.error = error;
      throw error;
    }
  });
  view.seal();
  // The facade has recorded what the scopes caught; fn's own exception is rethrown below.
  scoped.catch(() => {});
  if (outcome.failed) throw outcome.error;
}
