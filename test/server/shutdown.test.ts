// Graceful stop under a deadline: a step that never resolves (a worker, an upstream flush, a
// connection that never closes) is logged by name and abandoned, the steps after it still run,
// and the stop reports within its deadline, for the step runner alone and for the whole server.
import { afterEach, describe, expect, it } from "vitest";
import type { DestinationStream } from "pino";
import { startGame } from "../../src/server/bootstrap.ts";
import { runStopSteps } from "../../src/server/shutdown.ts";
import type { Fields, Log } from "../../src/server/telemetry/facade.ts";
import { SMALL_WORLD } from "./support.ts";
import { captureLines } from "./telemetry/helpers.ts";

function recordingLog(): Log & { lines: { level: string; fields: Fields; msg: string }[] } {
  const lines: { level: string; fields: Fields; msg: string }[] = [];
  const at = (level: string) => (fields: Fields, msg: string): void => {
    lines.push({ level, fields, msg });
  };
  const log: Log & { lines: typeof lines } = {
    lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), warnLimited: (_s, f, m) => at("warn")(f, m), child: () => log,
  };
  return log;
}

const never = (): Promise<void> => new Promise(() => {});
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("stop steps", () => {
  it("abandons a step that never resolves, logs it by name, and still runs the later steps", async () => {
    const log = recordingLog();
    const ran: string[] = [];
    const t0 = performance.now();
    const report = await runStopSteps([
      { name: "first", run: () => void ran.push("first") },
      { name: "hung worker", run: never },
      { name: "throws", run: () => Promise.reject(new Error("boom")) },
      { name: "flush", reserveMs: 300, run: async () => {
        await new Promise((r) => setTimeout(r, 50));
        ran.push("flush");
      } },
    ], 1000, log);
    const ms = performance.now() - t0;
    expect(ran).toEqual(["first", "flush"]);
    expect(report.timedOut).toEqual(["hung worker"]);
    expect(report.failed).toEqual(["throws"]);
    expect(ms).toBeLessThan(1000 + 250);
    // The hung step had the time left minus the flush's reserve.
    expect(ms).toBeGreaterThanOrEqual(650);
    expect(log.lines.find((l) => l.level === "error" && l.fields.step === "hung worker")?.msg).toMatch(/timed out/);
    expect(log.lines.find((l) => l.level === "error" && l.fields.step === "throws")?.fields.error).toMatch(/boom/);
  });

  it("scales reserves down so that together they take at most three quarters of the deadline", async () => {
    const log = recordingLog();
    const t0 = performance.now();
    let hungFor = 0;
    const report = await runStopSteps([
      { name: "hung", run: never },
      { name: "after", reserveMs: 10_000, run: () => {
        hungFor = performance.now() - t0;
      } },
    ], 1000, log);
    expect(report.timedOut).toEqual(["hung"]);
    expect(hungFor).toBeGreaterThanOrEqual(240);
    expect(hungFor).toBeLessThan(600);
  });

  it("gives a reserved step its reserve even when an earlier step used up the deadline", async () => {
    const log = recordingLog();
    let flushed = false;
    const report = await runStopSteps([
      { name: "hung", run: never },
      { name: "flush", reserveMs: 200, run: async () => {
        await new Promise((r) => setTimeout(r, 100));
        flushed = true;
      } },
    ], 300, log);
    expect(report.timedOut).toEqual(["hung"]);
    expect(flushed).toBe(true);
  });
});

describe("server stop with a hung step", () => {
  it("stops within SHUTDOWN_TIMEOUT_MS, names the hung step and still closes the game and flushes telemetry", async () => {
    const logs = captureLines();
    const running = await startGame(
      { METRICS_ADDR: "127.0.0.1:0", STORE: "memory" },
      {
        server: { host: "127.0.0.1", port: 0, ...SMALL_WORLD, npcCount: 0, meshWorkers: 1, shutdownTimeoutMs: 2000 },
        telemetry: { logDestination: logs as unknown as DestinationStream, processMetrics: false },
        extraStopSteps: [{ name: "embedder step that never ends", run: never }],
      },
    );
    cleanups.push(() => running.stop());
    const metricsUrl = running.telemetry.metricsServer!.url;
    expect((await fetch(`${running.game.url}/healthz`)).status).toBe(200);

    const t0 = performance.now();
    const report = await running.stop("test");
    const ms = performance.now() - t0;
    expect(report.timedOut).toEqual(["embedder step that never ends"]);
    expect(report.failed).toEqual([]);
    expect(ms).toBeLessThan(2000 + 500);
    // It had its share of the deadline: what the later steps did not hold back.
    expect(ms).toBeGreaterThanOrEqual(400);
    const lines = logs.json();
    expect(lines.find((l) => l.msg === "shutdown step timed out; continuing without it")).toMatchObject({
      level: "error", step: "embedder step that never ends",
    });
    // The steps after the hung one ran: the game closed, the listeners are gone.
    expect(lines.some((l) => l.msg === "server stopped")).toBe(true);
    expect(running.game.running()).toBe(false);
    await expect(fetch(`${running.game.url}/healthz`)).rejects.toThrow();
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });
});
