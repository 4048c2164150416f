import { describe, expect, it, vi } from "vitest";
import {
  classifyGpuError,
  GpuErrorTracker,
  normalizeGpuMessage,
  withGpuErrorScopes,
} from "../../../src/client/telemetry/gpu-errors.ts";
import type { GpuDeviceLike, GpuErrorLike, GpuErrorReport } from "../../../src/client/telemetry/gpu-errors.ts";

// Stand-ins for the browser's GPUError subclasses (classification falls back to constructor names).
class GPUValidationError {
  constructor(readonly message: string) {}
}
class GPUOutOfMemoryError {
  constructor(readonly message: string) {}
}
class GPUInternalError {
  constructor(readonly message: string) {}
}
class GPUPipelineError {
  constructor(
    readonly message: string,
    readonly reason: "validation" | "internal",
  ) {}
}

/** A fake device: error scopes as a stack, an "uncapturederror" listener, and a controllable lost promise. */
function fakeDevice() {
  const scopes: { filter: GPUErrorFilter; error: GpuErrorLike | null }[] = [];
  let listener: ((ev: GPUUncapturedErrorEvent) => void) | null = null;
  let lose!: (info: { reason: string; message: string }) => void;
  const device: GpuDeviceLike = {
    addEventListener: (_t, l) => void (listener = l),
    removeEventListener: () => void (listener = null),
    lost: new Promise((r) => (lose = r)),
    pushErrorScope: (filter) => void scopes.push({ filter, error: null }),
    popErrorScope: () => Promise.resolve(scopes.pop()?.error ?? null),
  };
  return {
    device,
    /** Raises an error the way WebGPU does: into the innermost matching scope, else uncaptured. */
    raise(err: GpuErrorLike, filter: GPUErrorFilter) {
      for (let i = scopes.length - 1; i >= 0; i--) {
        if (scopes[i].filter === filter) {
          scopes[i].error ??= err;
          return;
        }
      }
      listener?.({ error: err } as unknown as GPUUncapturedErrorEvent);
    },
    lose: (reason: string, message: string) => lose({ reason, message }),
    get attached() {
      return listener !== null;
    },
    get depth() {
      return scopes.length;
    },
  };
}

describe("classifyGpuError", () => {
  it("classifies by error type", () => {
    expect(classifyGpuError(new GPUValidationError("x"))).toBe("validation");
    expect(classifyGpuError(new GPUOutOfMemoryError("x"))).toBe("out_of_memory");
    expect(classifyGpuError(new GPUInternalError("x"))).toBe("internal");
    expect(classifyGpuError(new GPUPipelineError("x", "validation"))).toBe("validation");
    expect(classifyGpuError(new GPUPipelineError("x", "internal"))).toBe("internal");
    expect(classifyGpuError({ message: "?" })).toBe("internal");
    expect(classifyGpuError(null)).toBe("internal");
  });

  it("normalises volatile parts of messages", () => {
    expect(normalizeGpuMessage("Buffer 0x7f3a size 1024 exceeds  65536")).toBe("Buffer # size # exceeds #");
  });
});

describe("GpuErrorTracker", () => {
  it("counts uncaptured errors by class and reports each distinct error once", () => {
    const d = fakeDevice();
    const t = new GpuErrorTracker();
    const reports: GpuErrorReport[] = [];
    t.setReporter((r) => reports.push(r));
    t.attach(d.device);
    for (let frame = 0; frame < 100; frame++) d.raise(new GPUValidationError(`Invalid bind group at draw ${frame}`), "validation");
    d.raise(new GPUOutOfMemoryError("allocation of 1048576 bytes failed"), "out-of-memory");
    expect(t.totals.validation).toBe(100);
    expect(t.totals.out_of_memory).toBe(1);
    // 100 occurrences of one bug (differing only in numbers) -> one report.
    expect(reports.map((r) => r.kind)).toEqual(["validation", "out_of_memory"]);
    expect(reports[0]).toMatchObject({ site: "uncaptured", message: "Invalid bind group at draw #" });
  });

  it("caps distinct reports per session but keeps counting", () => {
    const d = fakeDevice();
    const t = new GpuErrorTracker({ maxReportsPerSession: 3 });
    const report = vi.fn();
    t.setReporter(report);
    t.attach(d.device);
    for (const word of ["alpha", "beta", "gamma", "delta", "epsilon"]) d.raise(new GPUInternalError(`failure ${word}`), "internal");
    expect(report).toHaveBeenCalledTimes(3);
    expect(t.reported).toBe(3);
    expect(t.totals.internal).toBe(5);
  });

  it("records device loss with its reason; our own destroy() is not a crash", async () => {
    const d = fakeDevice();
    const t = new GpuErrorTracker();
    const report = vi.fn();
    t.setReporter(report);
    t.attach(d.device);
    d.lose("unknown", "GPU process crashed");
    await Promise.resolve();
    await Promise.resolve();
    expect(t.totals.device_lost).toBe(1);
    expect(report).toHaveBeenCalledWith(expect.objectContaining({ kind: "device_lost", reason: "unknown" }));
    expect(t.takeWindow().lostReason).toBe("unknown");

    const t2 = new GpuErrorTracker();
    const r2 = vi.fn();
    t2.setReporter(r2);
    t2.recordDeviceLost("destroyed", "");
    expect(t2.totals.device_lost).toBe(1);
    expect(r2).not.toHaveBeenCalled();
  });

  it("detaches from a device", () => {
    const d = fakeDevice();
    const t = new GpuErrorTracker();
    const detach = t.attach(d.device);
    expect(d.attached).toBe(true);
    detach();
    expect(d.attached).toBe(false);
  });

  it("hands out per-window counts and resets them", () => {
    const t = new GpuErrorTracker();
    t.recordUploadFailure();
    t.recordError(new GPUValidationError("x"), "uncaptured");
    const w = t.takeWindow();
    expect(w.counts).toEqual({ validation: 1, out_of_memory: 0, internal: 0, device_lost: 0, upload_failure: 1 });
    expect(w.lostReason).toBe("none");
    expect(t.takeWindow().counts.validation).toBe(0);
    expect(t.totals.validation).toBe(1);
  });
});

describe("withGpuErrorScopes", () => {
  it("catches errors raised inside an upload, counts an upload failure, and balances the scopes", async () => {
    const d = fakeDevice();
    const t = new GpuErrorTracker();
    const r = await withGpuErrorScopes(d.device, t, "upload", () => {
      d.raise(new GPUValidationError("writeBuffer out of range"), "validation");
      return 7;
    });
    expect(r).toEqual({ value: 7, errors: 1 });
    expect(t.totals.validation).toBe(1);
    expect(t.totals.upload_failure).toBe(1);
    expect(d.depth).toBe(0);
  });

  it("covers async pipeline creation, including a rejected GPUPipelineError", async () => {
    const d = fakeDevice();
    const t = new GpuErrorTracker();
    const ok = await withGpuErrorScopes(d.device, t, "pipeline", async () => "pipeline");
    expect(ok).toEqual({ value: "pipeline", errors: 0 });
    await expect(
      withGpuErrorScopes(d.device, t, "pipeline", () => Promise.reject(new GPUPipelineError("bad shader", "validation"))),
    ).rejects.toBeInstanceOf(GPUPipelineError);
    expect(t.totals.validation).toBe(1);
    expect(t.totals.upload_failure).toBe(0);
    expect(d.depth).toBe(0);
  });

  it("lets errors outside the scope stay uncaptured", async () => {
    const d = fakeDevice();
    const t = new GpuErrorTracker();
    t.attach(d.device);
    await withGpuErrorScopes(d.device, t, "upload", () => undefined);
    d.raise(new GPUValidationError("later"), "validation");
    expect(t.totals.validation).toBe(1);
    expect(t.totals.upload_failure).toBe(0);
  });
});
