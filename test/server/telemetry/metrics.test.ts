import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientMetrics, metrics } from "../../../src/server/telemetry/facade.ts";
import { initTelemetry } from "../../../src/server/telemetry/index.ts";
import type { TelemetryHandle } from "../../../src/server/telemetry/index.ts";
import {
  COMPONENTS,
  ERROR_CLASSES,
  EXPERIMENT_VARIANTS,
  HIT_KINDS,
  METRICS,
  PROCESS_METRICS_PREFIX,
  SYSTEMS,
} from "../../../src/shared/telemetry/names.ts";
import { sample } from "../../prometheus-text.ts";
import { captureLines, testConfig } from "./helpers.ts";

let handle: TelemetryHandle;
let base: string;

beforeAll(async () => {
  handle = await initTelemetry(testConfig({ zone: "eu1", shard: "s3" }), { logDestination: captureLines() });
  base = handle.metricsServer?.url ?? "";
});
afterAll(() => handle.shutdown());

async function scrape(): Promise<{ text: string; type: string | null; status: number }> {
  const res = await fetch(`${base}/metrics`);
  return { text: await res.text(), type: res.headers.get("content-type"), status: res.status };
}

describe("metrics listener", () => {
  it("binds port 0 on loopback and exposes the real address", () => {
    expect(handle.metricsServer?.address.host).toBe("127.0.0.1");
    expect(handle.metricsServer?.address.port).toBeGreaterThan(0);
    expect(base).toBe(`http://127.0.0.1:${handle.metricsServer?.address.port}`);
  });

  it("serves every metric in the names table, with zone/shard on every sample", async () => {
    const { text, type, status } = await scrape();
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const spec of Object.values(METRICS)) {
      expect(text, spec.prom).toContain(`# TYPE ${spec.prom} ${spec.type}`);
    }
    const samples = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(samples.length).toBeGreaterThan(100);
    for (const line of samples) {
      expect(line, line).toContain('zone="eu1"');
      expect(line, line).toContain('shard="s3"');
    }
  });

  it("includes Node process metrics (event-loop lag, GC, memory) under the prefix", async () => {
    const { text } = await scrape();
    for (const name of ["nodejs_eventloop_lag_seconds", "nodejs_heap_size_used_bytes", "process_resident_memory_bytes", "nodejs_gc_duration_seconds"]) {
      expect(text, name).toContain(`# TYPE ${PROCESS_METRICS_PREFIX}${name} `);
    }
  });

  it("has tick buckets at the 60 Hz and 30 Hz budgets", async () => {
    const { text } = await scrape();
    // Every experiment variant's series (none until an experiment runs) has the budget buckets.
    for (const variant of EXPERIMENT_VARIANTS) {
      expect(text).toContain(`game_tick_duration_seconds_bucket{le="0.0167",zone="eu1",shard="s3",variant="${variant}"} 0`);
      expect(text).toContain(`game_tick_duration_seconds_bucket{le="0.033",zone="eu1",shard="s3",variant="${variant}"} 0`);
    }
  });

  it("pre-initialises every labelled series from the closed sets", async () => {
    const { text } = await scrape();
    for (const system of SYSTEMS) expect(sample(text, "game_system_duration_seconds_count", { system })).toBe(0);
    for (const kind of HIT_KINDS) expect(sample(text, "game_projectile_hits_total", { kind })).toBe(0);
    for (const cls of ERROR_CLASSES) expect(sample(text, "game_errors_total", { class: cls })).toBe(0);
    for (const component of COMPONENTS) expect(sample(text, "game_log_dropped_total", { component })).toBe(0);
    for (const state of ["connected", "disconnected"]) expect(sample(text, "game_net_clients", { state })).toBe(0);
    for (const reason of ["queue_full", "export_failed"]) {
      expect(sample(text, "game_trace_spans_dropped_total", { reason })).toBe(0);
    }
  });

  it("records through the facade and the values rise between scrapes", async () => {
    const before = (await scrape()).text;
    metrics.tickDuration(0.012);
    metrics.tickDuration(0.02);
    metrics.systemDuration("carve", 0.0004);
    metrics.voxelQueueLength(17);
    metrics.chunksDirty(3);
    metrics.chunksMeshed(2);
    metrics.meshDuration(0.004);
    metrics.colliderDuration(0.006);
    metrics.carveRequests(1);
    metrics.projectileHit("destructible");
    metrics.snapshotBytes(1200);
    metrics.deltaBytes(300);
    metrics.clients(4, 1);
    metrics.interestEntities(40);
    metrics.error("malformed_frame");
    metrics.ticksOverBudget(1);
    clientMetrics.frameTime(0.016);
    clientMetrics.gpuError("device_lost");
    clientMetrics.request("breadcrumbs", "accepted");
    clientMetrics.request("breadcrumbs", "duplicate");
    clientMetrics.rejected("traces", "session");
    clientMetrics.spansRejected("time", 2);
    clientMetrics.crashItemDropped("attachment");
    clientMetrics.uploadBytes("vertex", 4096);
    clientMetrics.uploadDuration(0.0003);
    const after = (await scrape()).text;

    expect(sample(before, "game_tick_duration_seconds_count")).toBe(0);
    expect(sample(after, "game_tick_duration_seconds_count")).toBe(2);
    expect(sample(after, "game_tick_duration_seconds_bucket", { le: "0.0167" })).toBe(1);
    expect(sample(after, "game_tick_duration_seconds_bucket", { le: "0.025" })).toBe(2);
    expect(sample(after, "game_system_duration_seconds_count", { system: "carve" })).toBe(1);
    expect(sample(after, "game_voxel_queue_length")).toBe(17);
    expect(sample(after, "game_voxel_chunks_dirty_total")).toBe(3);
    expect(sample(after, "game_voxel_chunks_meshed_total")).toBe(2);
    expect(sample(after, "game_voxel_mesh_duration_seconds_count")).toBe(1);
    expect(sample(after, "game_voxel_collider_duration_seconds_count")).toBe(1);
    expect(sample(after, "game_carve_requests_total")).toBe(1);
    expect(sample(after, "game_projectile_hits_total", { kind: "destructible" })).toBe(1);
    expect(sample(after, "game_net_snapshot_bytes_total")).toBe(1200);
    expect(sample(after, "game_net_delta_bytes_total")).toBe(300);
    expect(sample(after, "game_net_clients", { state: "connected" })).toBe(4);
    expect(sample(after, "game_net_clients", { state: "disconnected" })).toBe(1);
    expect(sample(after, "game_interest_entities")).toBe(40);
    expect(sample(after, "game_errors_total", { class: "malformed_frame" })).toBe(1);
    expect(sample(after, "game_ticks_over_budget_total")).toBe(1);
    expect(sample(after, "game_client_frame_time_seconds_count")).toBe(1);
    expect(sample(after, "game_client_gpu_errors_total", { class: "device_lost" })).toBe(1);
    expect(sample(after, "game_client_requests_total", { route: "breadcrumbs", result: "accepted" })).toBe(1);
    expect(sample(after, "game_client_requests_total", { route: "breadcrumbs", result: "duplicate" })).toBe(1);
    expect(sample(after, "game_client_requests_total", { route: "traces", result: "accepted" })).toBe(0);
    expect(sample(after, "game_client_rejected_total", { route: "traces", reason: "session" })).toBe(1);
    // Only the reasons a route can give have a series.
    expect(sample(after, "game_client_rejected_total", { route: "breadcrumbs", reason: "session" })).toBeUndefined();
    expect(sample(after, "game_client_spans_rejected_total", { reason: "time" })).toBe(2);
    expect(sample(after, "game_client_crash_items_dropped_total", { type: "attachment" })).toBe(1);
    expect(sample(after, "game_client_upload_bytes_total", { buffer: "vertex" })).toBe(4096);
    expect(sample(after, "game_client_upload_duration_seconds_count")).toBe(1);
  });

  it("ignores bad values and unknown label values instead of throwing or adding series", async () => {
    // Only the game table's series: process metrics legitimately grow (GC kinds, handle types).
    const names = Object.values(METRICS).map((m) => m.prom);
    const series = (t: string): number => t.split("\n").filter((l) => names.some((n) => l.startsWith(n))).length;
    const before = (await scrape()).text;
    expect(() => {
      metrics.tickDuration(Number.NaN);
      metrics.chunksDirty(-1);
      metrics.snapshotBytes(Number.POSITIVE_INFINITY);
      metrics.projectileHit("player-1234" as never);
      metrics.error("session_abc" as never);
      metrics.systemDuration("entity_42" as never, 0.1);
      clientMetrics.request("breadcrumbs", "p42" as never);
      clientMetrics.rejected("breadcrumbs", "session");
    }).not.toThrow();
    const after = (await scrape()).text;
    expect(series(after)).toBe(series(before));
    expect(after).not.toMatch(/player-1234|session_abc|entity_42|p42/);
  });

  it("keeps the series count bounded", async () => {
    const { text } = await scrape();
    const samples = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(samples.length).toBeLessThan(2000);
  });

  it("answers 404 for unknown paths and 405 for other methods", async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});
