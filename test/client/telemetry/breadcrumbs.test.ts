import { describe, expect, it } from "vitest";
import { BreadcrumbAggregator, buildBatch } from "../../../src/client/telemetry/breadcrumbs.ts";
import { FrameStats } from "../../../src/client/telemetry/frame-stats.ts";
import { GpuErrorTracker } from "../../../src/client/telemetry/gpu-errors.ts";
import { MeshStats } from "../../../src/client/telemetry/mesh-stats.ts";
import type { NetStatsLike } from "../../../src/client/telemetry/sources.ts";
import { UploadStats } from "../../../src/client/telemetry/upload-stats.ts";
import { validateBreadcrumbBatch } from "../../../src/shared/telemetry/breadcrumb.ts";

function setup() {
  let mono = 0;
  const net: NetStatsLike = { bytesIn: 5_000, bytesOut: 1_000, rttMs: 40, serverTickMs: 2.5 };
  const frames = new FrameStats();
  const uploads = new UploadStats();
  const mesh = new MeshStats();
  const gpu = new GpuErrorTracker();
  const agg = new BreadcrumbAggregator({ frames, uploads, mesh, gpu, net: () => net }, { monoMs: () => mono, unixMs: () => 1_700_000_000_000 + mono });
  return { frames, uploads, mesh, gpu, agg, net, advance: (ms: number) => (mono += ms), now: () => mono };
}

describe("BreadcrumbAggregator", () => {
  it("builds a window the ingest's validator accepts", () => {
    const s = setup();
    s.agg.sampleNet();
    for (let i = 0; i <= 1800; i++) {
      s.frames.recordFrame(i * 16.7, 5);
      if (i % 60 === 0) s.uploads.record(64_000, 8_000, 0.8);
    }
    const pool = { queueLength: 3, recentMeshMs: new Float64Array(8), recentMeshMsCount: 0 };
    s.mesh.poll(pool);
    pool.recentMeshMs.set([2, 3, 4]);
    pool.recentMeshMsCount = 3;
    s.mesh.poll(pool);
    s.gpu.recordError({ message: "x" }, "upload");
    s.net.bytesIn += 120_000;
    s.net.bytesOut += 9_000;
    s.advance(30_000);
    const w = s.agg.closeWindow();
    expect(w).not.toBeNull();
    expect(w!.frames).toBe(1800);
    expect(w!.dur_ms).toBe(30_000);
    expect(w!.fps.p50).toBeCloseTo(59.88, 1);
    expect(w!.upload).toMatchObject({ count: 31, vertex_bytes: 31 * 64_000, index_bytes: 31 * 8_000 });
    expect(w!.mesh).toMatchObject({ jobs: 3, queue_max: 3 });
    expect(w!.gpu_errors).toMatchObject({ internal: 1, upload_failure: 1 });
    expect(w!.net).toEqual({ bytes_in: 120_000, bytes_out: 9_000, rtt_ms_p50: 40 });
    expect(w!.server_tick_ms).toBe(2.5);
    const batch = buildBatch({ session: "a".repeat(24), build: "0.1.0", gpu: { vendor: "google", arch: "" } }, [w!], 0, 0, "b-0123456789");
    expect(validateBreadcrumbBatch(JSON.parse(JSON.stringify(batch)))).toMatchObject({ ok: true });
  });

  it("reports the worker failures of each window, and sends a window that holds only a failure", () => {
    const s = setup();
    const workers = { failures: 0 };
    s.mesh.pollWorkers(workers);
    workers.failures = 2;
    s.mesh.pollWorkers(workers);
    s.advance(30_000);
    const w = s.agg.closeWindow();
    expect(w).not.toBeNull();
    expect(w!.frames).toBe(0);
    expect(w!.mesh.worker_failures).toBe(2);
    const batch = buildBatch({ session: "a".repeat(24), build: "0.1.0", gpu: { vendor: "", arch: "" } }, [w!], 0, 0, "b-0123456789");
    expect(validateBreadcrumbBatch(JSON.parse(JSON.stringify(batch)))).toMatchObject({ ok: true });
    // The next window counts only what failed since.
    workers.failures = 3;
    s.mesh.pollWorkers(workers);
    s.frames.recordFrame(30_000, 1);
    s.frames.recordFrame(30_016, 1);
    s.advance(30_000);
    expect(s.agg.closeWindow()!.mesh.worker_failures).toBe(1);
    s.advance(30_000);
    expect(s.agg.closeWindow()).toBeNull();
  });

  it("returns null for an empty window (e.g. hidden throughout) and starts the next one", () => {
    const s = setup();
    s.advance(30_000);
    expect(s.agg.closeWindow()).toBeNull();
    s.frames.recordFrame(30_000, 1);
    s.frames.recordFrame(30_016, 1);
    s.advance(1_000);
    expect(s.agg.closeWindow()!.dur_ms).toBe(1_000);
  });

  it("reset() drops what was gathered before (nothing from before consent is sent)", () => {
    const s = setup();
    for (let i = 0; i < 100; i++) s.frames.recordFrame(i * 16, 1);
    s.gpu.recordUploadFailure();
    s.advance(5_000);
    s.agg.reset();
    s.advance(5_000);
    expect(s.agg.closeWindow()).toBeNull();
  });
});

describe("MeshStats.poll", () => {
  it("reads only new samples from the pool's ring, across wrap-around", () => {
    const m = new MeshStats();
    const pool = { queueLength: 0, recentMeshMs: new Float64Array(4), recentMeshMsCount: 0 };
    m.poll(pool);
    for (let i = 1; i <= 6; i++) {
      pool.recentMeshMs[(pool.recentMeshMsCount++) % 4] = i;
    }
    m.poll(pool);
    // Six written into a ring of four: the two oldest were overwritten before the poll.
    expect(m.takeWindow().jobs).toBe(4);
    m.poll(pool);
    expect(m.takeWindow().jobs).toBe(0);
  });
});
