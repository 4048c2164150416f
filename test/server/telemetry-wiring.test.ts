// The real start sequence (bootstrap.ts): telemetry config from the environment, the game on a
// free port with the client-telemetry routes, metrics on another free port, one
// effective-config line, a bad setting refused before any port is bound, and a stop() that
// frees both ports.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DestinationStream } from "pino";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startGame } from "../../src/server/bootstrap.ts";
import type { RunningGame, StartGameOptions } from "../../src/server/bootstrap.ts";
import { PLACEHOLDER_SENTRY_DSN } from "../../src/shared/telemetry/client-config.ts";
import { sample } from "../prometheus-text.ts";
import { validBatch } from "../shared/telemetry/fixtures.ts";
import { captureLines } from "./telemetry/helpers.ts";
import type { LogLine } from "./telemetry/helpers.ts";
import { SMALL_WORLD } from "./support.ts";

const running: RunningGame[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

// Zone and shard come from a telemetry config file, which the game's own settings never read:
// the game only runs as z7/s3 if startGame hands it the telemetry config's values.
const dir = mkdtempSync(join(tmpdir(), "telemetry-wiring-"));
const CONFIG_FILE = join(dir, "telemetry.json");
writeFileSync(CONFIG_FILE, JSON.stringify({ zone: "z7", shard: "s3" }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loopback everywhere, OS-chosen ports, sample every trace. */
const BASE_ENV = { METRICS_ADDR: "127.0.0.1:0", TRACE_SAMPLE: "1", STORE: "memory" } as const;

async function start(env: Record<string, string> = {}, opts: StartGameOptions = {}) {
  const logs = captureLines();
  const game = await startGame(
    { ...BASE_ENV, ...env },
    {
      argv: ["--telemetry-config", CONFIG_FILE],
      server: { host: "127.0.0.1", port: 0, ...SMALL_WORLD, npcCount: 2, meshWorkers: 0 },
      telemetry: { logDestination: logs as unknown as DestinationStream, processMetrics: false },
      ...opts,
    },
  );
  running.push(game);
  const metricsUrl = game.telemetry.metricsServer?.url;
  if (metricsUrl === undefined) throw new Error("no metrics listener");
  return { ...game, logs, metricsUrl, scrape: () => fetch(`${metricsUrl}/metrics`).then((r) => r.text()) };
}

/** Resolves when a TCP listener can be bound on `port` again (the port was freed). */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function post(url: string, body: string, type: string): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": type }, body });
}

describe("startGame", () => {
  it("serves tick metrics labelled with the telemetry config's zone and shard, and logs the effective config once", async () => {
    const g = await start();
    expect(g.game.config.zone).toBe("z7");
    expect(g.game.config.shard).toBe("s3");
    await g.game.waitForTicks(5);
    const text = await g.scrape();
    expect(text).toContain("# TYPE game_tick_duration_seconds histogram");
    expect(sample(text, "game_tick_duration_seconds_count", { zone: "z7", shard: "s3" })).toBeGreaterThanOrEqual(5);

    const lines: LogLine[] = g.logs.json();
    const effective = lines.filter((l) => l.msg === "telemetry configured");
    expect(effective).toHaveLength(1);
    expect(effective[0]).toMatchObject({ component: "telemetry", trace_sample: 1, client_telemetry: true, sentry: "off", zone: "z7", shard: "s3" });
    // The line names the bound metrics port, not the ":0" that was asked for.
    expect(effective[0].metrics_addr).toBe(g.metricsUrl.replace("http://", ""));
  });

  it("mounts the breadcrumb ingest, the Sentry tunnel and the OTLP relay on the game port", async () => {
    const g = await start();
    const base = g.game.url;

    const cfg = (await (await fetch(`${base}/telemetry/v1/config`)).json()) as Record<string, unknown>;
    expect(cfg).toMatchObject({ v: 1, ingest: true, trace_sample_ratio: 1, sentry: { dsn: PLACEHOLDER_SENTRY_DSN } });
    expect(cfg.build).toMatch(/^\d+\.\d+\.\d+/);

    const batch = validBatch();
    expect((await post(`${base}/telemetry/v1/breadcrumbs`, JSON.stringify(batch), "application/json")).status).toBe(202);
    expect((await post(`${base}/telemetry/v1/breadcrumbs`, "{nope", "application/json")).status).toBe(400);
    let text = await g.scrape();
    expect(sample(text, "game_client_requests_total", { route: "breadcrumbs", result: "accepted" })).toBe(1);
    expect(sample(text, "game_client_rejected_total", { route: "breadcrumbs", reason: "malformed" })).toBe(1);
    expect(sample(text, "game_client_frame_time_seconds_count")).toBeGreaterThan(0);
    // Client fps is derived from the frame-time histogram; no client-reported gauge is exposed.
    expect(sample(text, "game_client_fps")).toBeUndefined();
    expect(sample(text, "game_errors_total", { class: "ingest_rejected" })).toBe(1);

    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const startNs = BigInt(Date.now() - 100) * 1_000_000n;
    const otlp = {
      resourceSpans: [{
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "voxel-shooter-client" } },
            { key: "session.id", value: { stringValue: "wiringsession00000000000" } },
          ],
        },
        scopeSpans: [{ spans: [{ traceId, spanId: "00f067aa0ba902b7", name: "client.command", startTimeUnixNano: String(startNs), endTimeUnixNano: String(startNs + 42_500_000n) }] }],
      }],
    };
    expect((await post(`${base}/v1/traces`, JSON.stringify(otlp), "application/json")).status).toBe(200);
    const tracez = (await (await fetch(`${g.metricsUrl}/debug/tracez?trace_id=${traceId}`)).json()) as { traces: { spans: { name: string }[] }[] };
    expect(tracez.traces[0].spans.map((s) => s.name)).toEqual(["client.command"]);

    const event = { event_id: "9f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", level: "error", user: { email: "bob@example.com" } };
    const envelope = `${JSON.stringify({ event_id: event.event_id, dsn: PLACEHOLDER_SENTRY_DSN })}\n${JSON.stringify({ type: "event" })}\n${JSON.stringify(event)}\n`;
    expect((await post(`${base}/telemetry/sentry`, envelope, "text/plain;charset=UTF-8")).status).toBe(200);
    const crashes = await (await fetch(`${g.metricsUrl}/debug/crashes`)).text();
    expect(crashes).toContain(event.event_id);
    expect(crashes).not.toContain("bob@example.com");

    text = await g.scrape();
    expect(sample(text, "game_errors_total", { class: "ingest_rejected" })).toBe(1);
  });

  it("refuses client telemetry on every route when CLIENT_TELEMETRY is off", async () => {
    const g = await start({ CLIENT_TELEMETRY: "off" });
    const base = g.game.url;
    const cfg = (await (await fetch(`${base}/telemetry/v1/config`)).json()) as Record<string, unknown>;
    expect(cfg).toMatchObject({ ingest: false, trace_sample_ratio: 0, sentry: null });
    expect((await post(`${base}/telemetry/v1/breadcrumbs`, JSON.stringify(validBatch()), "application/json")).status).toBe(404);
    expect((await post(`${base}/telemetry/sentry`, "{}\n", "text/plain")).status).toBe(404);
    expect((await post(`${base}/v1/traces`, "{}", "application/json")).status).toBe(404);
    const text = await g.scrape();
    for (const route of ["breadcrumbs", "traces", "sentry"]) {
      expect(sample(text, "game_client_requests_total", { route, result: "disabled" }), route).toBe(1);
      expect(sample(text, "game_client_requests_total", { route, result: "accepted" }), route).toBe(0);
    }
  });

  it("rejects a bad setting with an error naming it, before binding any port", async () => {
    const metricsPort = await freePort();
    const env = { METRICS_ADDR: `127.0.0.1:${metricsPort}` };
    await expect(startGame({ ...env, TRACE_SAMPLE: "2" })).rejects.toThrow(/^TRACE_SAMPLE: /);
    await expect(startGame({ ...env, ZONE: "Zone 1" })).rejects.toThrow(/^ZONE: /);
    await expect(startGame({ ...env, PORT: "eighty" })).rejects.toThrow(/PORT/);
    expect(await canBind(metricsPort)).toBe(true);
  });

  it("names PORT when the game port is taken, and closes the telemetry it had started", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const gamePort = (taken.address() as AddressInfo).port;
    const metricsPort = await freePort();
    try {
      await expect(
        startGame({ METRICS_ADDR: `127.0.0.1:${metricsPort}`, PORT: String(gamePort), STORE: "memory" }, { server: { host: "127.0.0.1", ...SMALL_WORLD, npcCount: 0, meshWorkers: 0 } }),
      ).rejects.toThrow(`PORT: cannot listen on 127.0.0.1:${gamePort}: EADDRINUSE`);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
    expect(await canBind(metricsPort)).toBe(true);
  });

  it("stop() closes the game and telemetry and frees both ports", async () => {
    const g = await start();
    const gamePort = g.game.port;
    const metricsPort = g.telemetry.metricsServer!.address.port;
    expect(await canBind(gamePort)).toBe(false);
    expect(await canBind(metricsPort)).toBe(false);
    running.pop();
    await g.stop("test");
    await g.stop("test");
    expect(g.game.running()).toBe(false);
    expect(await canBind(gamePort)).toBe(true);
    expect(await canBind(metricsPort)).toBe(true);
    expect(g.logs.json().some((l) => l.msg === "shutting down" && l.reason === "test")).toBe(true);
  });
});
