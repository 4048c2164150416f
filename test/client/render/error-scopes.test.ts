// runGpuScopeSync: the facade's error scopes around synchronous GPU work must close before it
// returns, so GPU calls made later in the same task (a frame's encode and submit) are not
// attributed to the scoped work.
import { afterEach, describe, expect, it } from "vitest";
import { runGpuScopeSync } from "../../../src/client/render/error-scopes.ts";
import { installClientBackend } from "../../../src/client/telemetry/facade.ts";
import { GpuErrorTracker, withGpuErrorScopes } from "../../../src/client/telemetry/gpu-errors.ts";
import type { GpuErrorLike } from "../../../src/client/telemetry/gpu-errors.ts";

class GPUValidationError {
  constructor(readonly message: string) {}
}

/** A device whose error scopes behave like WebGPU's: an error lands in the innermost scope with its filter. */
function fakeDevice() {
  const scopes: { filter: GPUErrorFilter; error: GpuErrorLike | null }[] = [];
  const log: string[] = [];
  const uncaptured: GpuErrorLike[] = [];
  const device = {
    lost: new Promise<never>(() => {}),
    addEventListener: () => {},
    removeEventListener: () => {},
    pushErrorScope: (filter: GPUErrorFilter) => {
      log.push(`push ${filter}`);
      scopes.push({ filter, error: null });
    },
    popErrorScope: () => {
      const scope = scopes.pop();
      if (!scope) return Promise.reject(new Error("OperationError: no error scope to pop"));
      log.push(`pop ${scope.filter}`);
      return Promise.resolve(scope.error);
    },
  };
  return {
    device: device as unknown as GPUDevice,
    log,
    uncaptured,
    get depth() {
      return scopes.length;
    },
    /** A validation error from a GPU call made now. */
    raise(err: GpuErrorLike) {
      for (let i = scopes.length - 1; i >= 0; i--) {
        if (scopes[i].filter === "validation") {
          scopes[i].error ??= err;
          return;
        }
      }
      uncaptured.push(err);
    },
  };
}

/** Installs the backend installClientTelemetry installs, over `tracker`. */
function installTracker(tracker: GpuErrorTracker): () => void {
  return installClientBackend({
    beginCommand: () => undefined,
    endCommand: () => {},
    captureError: () => {},
    gpuScope: async (device, site, fn) => (await withGpuErrorScopes(device, tracker, site, fn)).value,
  });
}

const settle = () => new Promise((r) => setTimeout(r, 0));

let uninstall: (() => void) | null = null;
afterEach(() => {
  uninstall?.();
  uninstall = null;
});

describe("runGpuScopeSync", () => {
  it("closes the scopes before returning, so later GPU calls in the same task stay outside them", async () => {
    const tracker = new GpuErrorTracker();
    uninstall = installTracker(tracker);
    const gpu = fakeDevice();

    runGpuScopeSync(gpu.device, "upload", () => {
      gpu.log.push("upload");
      gpu.raise(new GPUValidationError("write out of bounds"));
    });
    expect(gpu.depth).toBe(0);
    expect(gpu.log).toEqual(["push validation", "push out-of-memory", "push internal", "upload", "pop internal", "pop out-of-memory", "pop validation"]);
    // Encode/submit later in the frame: an error there is uncaptured, not an upload failure.
    gpu.raise(new GPUValidationError("bad draw"));
    expect(gpu.uncaptured.map((e) => e.message)).toEqual(["bad draw"]);

    await settle();
    expect(tracker.totals.validation).toBe(1);
    expect(tracker.totals.upload_failure).toBe(1);
  });

  it("rethrows the work's exception synchronously and leaves no scope open", async () => {
    const tracker = new GpuErrorTracker();
    uninstall = installTracker(tracker);
    const gpu = fakeDevice();
    expect(() =>
      runGpuScopeSync(gpu.device, "upload", () => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(gpu.depth).toBe(0);
    await settle();
    // The facade records a failed callback with no scoped error as one error at the site.
    expect(tracker.totals.upload_failure).toBe(1);
  });

  it("without client telemetry runs the work and touches no scope", () => {
    const gpu = fakeDevice();
    let ran = false;
    runGpuScopeSync(gpu.device, "upload", () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(gpu.log).toEqual([]);
  });
});
