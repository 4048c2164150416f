import { describe, expect, it } from "vitest";
import { clientMetrics, installBackends, logger, metrics, tracing } from "../../../src/server/telemetry/facade.ts";
import type { Fields, Log, TelemetryBackends } from "../../../src/server/telemetry/facade.ts";
import { initTelemetry } from "../../../src/server/telemetry/index.ts";
import { captureLines, testConfig, traceparentOf } from "./helpers.ts";

/** A recording backend: counts how often the facade asks it for loggers and children. */
function recordingBackend(): { backends: TelemetryBackends; lines: string[]; resolves: { logger: number; child: number } } {
  const lines: string[] = [];
  const resolves = { logger: 0, child: 0 };
  const make = (prefix: string): Log => ({
    debug: (_f, m) => lines.push(`${prefix} debug ${m}`),
    info: (_f, m) => lines.push(`${prefix} info ${m}`),
    warn: (_f, m) => lines.push(`${prefix} warn ${m}`),
    error: (_f, m) => lines.push(`${prefix} error ${m}`),
    warnLimited: (s, _f, m) => lines.push(`${prefix} limited ${s} ${m}`),
    child: (f: Fields) => {
      resolves.child++;
      return make(`${prefix}+${Object.keys(f).join(",")}`);
    },
  });
  const noop = (): void => {};
  const backends: TelemetryBackends = {
    logger: (c) => {
      resolves.logger++;
      return make(c);
    },
    metrics: new Proxy({} as TelemetryBackends["metrics"], { get: () => noop }),
    tracing: {
      extract: () => undefined,
      withSpan: (_n, _f, fn) => fn({ setAttributes: noop, recordError: noop, context: () => undefined, end: noop }),
      startSpan: () => ({ setAttributes: noop, recordError: noop, context: () => undefined, end: noop }),
    },
  };
  return { backends, lines, resolves };
}

describe("telemetry facade", () => {
  it("is a no-op until backends are installed", () => {
    expect(() => {
      logger("net").info({ a: 1 }, "x");
      logger("net").child({ s: 1 }).warnLimited("site", {}, "y");
      metrics.tickDuration(0.01);
      metrics.projectileHit("npc");
      clientMetrics.gpuError("validation");
    }).not.toThrow();
    expect(tracing.withSpan("server.tick", {}, (s) => [traceparentOf(s), 42])).toEqual([undefined, 42]);
    const span = tracing.startSpan("chunk.mesh", {});
    expect(traceparentOf(span)).toBeUndefined();
    span.end();
  });

  it("resolves loggers and children once per install, not per call", () => {
    const { backends, lines, resolves } = recordingBackend();
    const log = logger("mesh");
    const child = log.child({ session_id: "s1" });
    const uninstall = installBackends(backends);
    for (let i = 0; i < 100; i++) {
      log.debug({}, "d");
      child.info({}, "i");
    }
    expect(lines.filter((l) => l === "mesh debug d")).toHaveLength(100);
    expect(lines.filter((l) => l === "mesh+session_id info i")).toHaveLength(100);
    expect(resolves).toEqual({ logger: 1, child: 1 });
    uninstall();
    child.info({}, "after");
    expect(lines).not.toContain("mesh+session_id info after");
  });

  it("re-resolves after a new install and restores the previous backend on uninstall", () => {
    const a = recordingBackend();
    const b = recordingBackend();
    const log = logger("net");
    const undoA = installBackends(a.backends);
    log.info({}, "one");
    const undoB = installBackends(b.backends);
    log.info({}, "two");
    undoB();
    log.info({}, "three");
    undoA();
    log.info({}, "four");
    expect(a.lines).toEqual(["net info one", "net info three"]);
    expect(b.lines).toEqual(["net info two"]);
  });

  it("uninstalling out of order keeps the newest install and never resurrects an old one", () => {
    const a = recordingBackend();
    const b = recordingBackend();
    const undoA = installBackends(a.backends);
    const undoB = installBackends(b.backends);
    undoA();
    logger("sim").info({}, "still b");
    undoB();
    logger("sim").info({}, "nobody");
    expect(b.lines).toEqual(["sim info still b"]);
    expect(a.lines).toEqual([]);
  });

  it("initTelemetry installs real backends and shutdown uninstalls them (idempotently)", async () => {
    const out = captureLines();
    const h = await initTelemetry(testConfig({ metricsAddr: "off" }), { logDestination: out, processMetrics: false });
    expect(tracing.withSpan("server.tick", {}, (s) => traceparentOf(s))).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await Promise.all([h.shutdown(), h.shutdown()]);
    await h.shutdown();
    expect(tracing.withSpan("server.tick", {}, (s) => traceparentOf(s))).toBeUndefined();
  });

  it("installFacade: false leaves the facade alone and still gives a working handle", async () => {
    const h = await initTelemetry(testConfig({ metricsAddr: "off" }), {
      logDestination: captureLines(),
      processMetrics: false,
      installFacade: false,
    });
    expect(tracing.withSpan("server.tick", {}, (s) => traceparentOf(s))).toBeUndefined();
    expect(h.tracing.withSpan("server.tick", {}, (s) => traceparentOf(s))).toMatch(/^00-/);
    expect(h.metricsServer).toBeUndefined();
    await h.shutdown();
  });

  it("a listen failure names METRICS_ADDR and leaves nothing installed", async () => {
    const first = await initTelemetry(testConfig(), { logDestination: captureLines(), processMetrics: false, installFacade: false });
    const taken = first.metricsServer?.address;
    await expect(
      initTelemetry(testConfig({ metricsAddr: taken }), { logDestination: captureLines(), processMetrics: false }),
    ).rejects.toThrow(/^METRICS_ADDR: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE$/);
    expect(tracing.withSpan("server.tick", {}, (s) => traceparentOf(s))).toBeUndefined();
    await first.shutdown();
  });
});
