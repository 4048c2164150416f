// The development fault switch against the real server (startGame on loopback): off unless
// FAULTS=1 and refused in production; on the metrics listener it validates what it is told and
// each fault does what its alert needs: a slow tick, a throwing system, failing span exports, a
// warning flood counted as dropped, and GPU-error breadcrumbs through the real ingest.
import { afterEach, describe, expect, it } from "vitest";
import { faultsEnabled } from "../../../src/server/faults/switch.ts";
import { cleanup, startAcceptanceGame, startReceiver, waitUntil } from "../acceptance/harness.ts";
import type { AcceptanceGame } from "../acceptance/harness.ts";
import { sample } from "../../prometheus-text.ts";

afterEach(cleanup);

const put = (game: AcceptanceGame, name: string, body: unknown = {}): Promise<Response> =>
  fetch(`${game.metricsUrl}/debug/faults/${name}`, { method: "PUT", body: typeof body === "string" ? body : JSON.stringify(body) });
const del = (game: AcceptanceGame, name = ""): Promise<Response> =>
  fetch(`${game.metricsUrl}/debug/faults${name === "" ? "" : `/${name}`}`, { method: "DELETE" });

/**
 * One sample of a scrape by name and labels (undefined when absent). Line-based rather than the
 * strict parser: these tests scrape every 20 ms, faster than prom-client's event-loop-lag
 * sampling, whose gauges then read NaN, which prom-client writes as "Nan".
 */
async function value(game: AcceptanceGame, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return sample(await game.scrape(), name, labels);
}

describe("FAULTS", () => {
  it("is off unless 1, names itself when malformed, and is refused in production", () => {
    expect(faultsEnabled({})).toBe(false);
    expect(faultsEnabled({ FAULTS: "0" })).toBe(false);
    expect(faultsEnabled({ FAULTS: "1" })).toBe(true);
    expect(() => faultsEnabled({ FAULTS: "yes" })).toThrow(/^FAULTS: must be 1 or 0/);
    expect(() => faultsEnabled({ FAULTS: "1", NODE_ENV: "production" })).toThrow(/^FAULTS: .*production/);
  });

  it("has no route on the metrics listener without FAULTS=1", async () => {
    const game = await startAcceptanceGame({});
    expect((await fetch(`${game.metricsUrl}/debug/faults`)).status).toBe(404);
    expect((await put(game, "system_throw")).status).toBe(404);
  });
});

describe("the fault switch (FAULTS=1)", () => {
  it("lists, validates and clears faults", async () => {
    const game = await startAcceptanceGame({ FAULTS: "1" });
    expect(await (await fetch(`${game.metricsUrl}/debug/faults`)).json()).toEqual({ faults: {} });
    expect((await put(game, "melt_cpu")).status).toBe(404);
    const bad = await put(game, "slow_tick", { ms: -5 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/slow_tick\.ms/);
    expect((await put(game, "system_throw", { system: "teleport" })).status).toBe(400);
    expect((await put(game, "system_throw", { system: "npc", extra: 1 })).status).toBe(400);
    expect((await put(game, "system_throw", "{oops")).status).toBe(400);
    expect((await fetch(`${game.metricsUrl}/debug/faults/slow_tick`, { method: "POST" })).status).toBe(405);
    const on = await put(game, "system_throw", { system: "npc" });
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ faults: { system_throw: { system: "npc" } } });
    expect(await (await del(game)).json()).toEqual({ faults: {} });
    expect(game.logs.json().some((l) => l.msg === "fault injected" && l.fault === "system_throw")).toBe(true);
  });

  it("system_throw makes a system throw every tick, counted as system_panic, until cleared", async () => {
    const game = await startAcceptanceGame({ FAULTS: "1" });
    expect((await put(game, "system_throw", { system: "npc" })).status).toBe(200);
    await game.game.waitForTicks(5);
    const during = game.game.stats().errors.system_panic;
    expect(during).toBeGreaterThanOrEqual(4);
    await del(game, "system_throw");
    await game.game.waitForTicks(1);
    const after = game.game.stats().errors.system_panic;
    await game.game.waitForTicks(5);
    expect(game.game.stats().errors.system_panic).toBe(after);
    expect(await value(game, "game_errors_total", { class: "system_panic" })).toBe(after);
  });

  it("slow_tick spends the time inside the tick", async () => {
    const game = await startAcceptanceGame({ FAULTS: "1" });
    await put(game, "slow_tick", { ms: 40, system: "intake" });
    await game.game.waitForTicks(3);
    expect(game.game.tickStats.lastTickMs).toBeGreaterThanOrEqual(40);
    await del(game, "slow_tick");
    await game.game.waitForTicks(3);
    expect(game.game.tickStats.lastTickMs).toBeLessThan(40);
  });

  it("drop_span_exports fails every export without sending it, counted as export_failed", async () => {
    const receiver = await startReceiver();
    try {
      const game = await startAcceptanceGame(
        { FAULTS: "1", OTLP_ENDPOINT: receiver.url, TRACE_SAMPLE: "1" },
        { telemetry: { export: { scheduledDelayMillis: 50 } } },
      );
      await waitUntil("spans exported", 10_000, () => receiver.requests.length > 0);
      await put(game, "drop_span_exports");
      await game.telemetry.forceFlush();
      const sent = receiver.requests.length;
      await waitUntil("spans dropped", 10_000, async () => ((await value(game, "game_trace_spans_dropped_total", { reason: "export_failed" })) ?? 0) > 0);
      await game.game.waitForTicks(10);
      await game.telemetry.forceFlush();
      expect(receiver.requests.length).toBe(sent);
      await del(game, "drop_span_exports");
      await waitUntil("exports again", 10_000, () => receiver.requests.length > sent);
    } finally {
      await receiver.close();
    }
  });

  it("flood_warnings drops all but the rate limit's lines, counted by component", async () => {
    const game = await startAcceptanceGame({ FAULTS: "1" });
    await put(game, "flood_warnings", { per_second: 200, component: "mesh" });
    await waitUntil("dropped lines", 10_000, async () => ((await value(game, "game_log_dropped_total", { component: "mesh" })) ?? 0) >= 50);
    await del(game, "flood_warnings");
    const lines = game.logs.json().filter((l) => l.msg === "injected warning");
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0].component).toBe("mesh");
  });

  it("client_breadcrumbs posts valid batches to the real ingest: GPU errors and frame times", async () => {
    const game = await startAcceptanceGame({ FAULTS: "1" });
    await put(game, "client_breadcrumbs", { per_second: 10, gpu_errors: 3, frame_ms: 60, frames: 10 });
    await waitUntil("GPU errors ingested", 10_000, async () => ((await value(game, "game_client_gpu_errors_total", { class: "validation" })) ?? 0) >= 9);
    await del(game, "client_breadcrumbs");
    const slow = await value(game, "game_client_frame_time_seconds_bucket", { variant: "none", le: "0.1" });
    const fast = await value(game, "game_client_frame_time_seconds_bucket", { variant: "none", le: "0.05" });
    expect(fast).toBe(0);
    expect(slow).toBeGreaterThanOrEqual(30);
    expect(await value(game, "game_client_requests_total", { route: "breadcrumbs", result: "accepted" })).toBeGreaterThanOrEqual(3);
  });
});
