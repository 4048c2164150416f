// Feature flags on the real server (startGame on loopback, flags.json in a temp directory):
// a bad file stops the server with a message naming the flag before any port is bound; a
// changed file changes the evaluation without a restart (and a bad change is refused and
// counted); evaluations reach the exported spans as feature_flag.* events; only the experiment
// histograms get the `variant` label, from the closed set; the tick-rate experiment applies.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startGame } from "../../../src/server/bootstrap.ts";
import { fakeBatch } from "../../../src/server/faults/client.ts";
import { CLIENT_FLAGS_PATH } from "../../../src/shared/flags/definitions.ts";
import { BREADCRUMBS_PATH, CLIENT_CONFIG_PATH } from "../../../src/shared/telemetry/client-config.ts";
import { parseExposition, sample } from "../../prometheus-text.ts";
import { cleanup, startAcceptanceGame, startReceiver, waitUntil } from "../acceptance/harness.ts";
import type { Receiver } from "../acceptance/harness.ts";
import { otlpRequestBody } from "../../otlp-request.ts";

const ROOT = join(import.meta.dirname, "../../..");
const SHIPPED = readFileSync(join(ROOT, "flags.json"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "voxel-flags-"));
let files = 0;

type Doc = { flags: Record<string, Record<string, unknown>> };

/** A flags file: the shipped one with `change` applied to its flags. */
function flagsFile(change: (flags: Doc["flags"]) => void = () => {}): string {
  const doc = JSON.parse(SHIPPED) as Doc;
  change(doc.flags);
  const path = join(dir, `flags-${++files}.json`);
  writeFileSync(path, JSON.stringify(doc, null, 2));
  return path;
}

function rewrite(path: string, change: (flags: Doc["flags"]) => void): void {
  const doc = JSON.parse(readFileSync(path, "utf8")) as Doc;
  change(doc.flags);
  writeFileSync(path, JSON.stringify(doc, null, 2));
}

afterEach(cleanup);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

describe("flags.json at start", () => {
  const cases: [string, (f: Doc["flags"]) => void, RegExp][] = [
    ["a value out of bounds", (f) => void ((f["tick-rate"].variants as Record<string, number>).a = 500), /flag "tick-rate": variant "a"/],
    ["an unknown flag", (f) => void (f["tick-rat"] = f["tick-rate"]), /flag "tick-rat": unknown flag/],
    ["a flagd schema error", (f) => void (f["trace-ratio"].state = "SOMETIMES"), /flag "trace-ratio": .*state/],
    ["an experiment variant outside the closed set", (f) => {
      f["tick-rate"].variants = { control: 30, fast: 20 };
      f["tick-rate"].targeting = { fractional: [["control", 50], ["fast", 50]] };
    }, /flag "tick-rate": experiment variant "fast"/],
    ["a wrong scope", (f) => void ((f["view-distance"].metadata as Record<string, unknown>).scope = "server"), /flag "view-distance": metadata.scope/],
  ];
  for (const [what, change, message] of cases) {
    it(`stops the server on ${what}, naming the flag, before any port is bound`, async () => {
      const metricsPort = await freePort();
      const gamePort = await freePort();
      await expect(startGame(
        { FLAGS_FILE: flagsFile(change), METRICS_ADDR: `127.0.0.1:${metricsPort}`, PORT: String(gamePort) },
        { server: { host: "127.0.0.1", chunksX: 8, chunksY: 4, chunksZ: 8, npcCount: 0, meshWorkers: 0 } },
      )).rejects.toThrow(message);
      expect(await listening(metricsPort)).toBe(false);
      expect(await listening(gamePort)).toBe(false);
    });
  }

  it("stops the server when FLAGS_FILE cannot be read, naming the setting", async () => {
    await expect(startGame({ FLAGS_FILE: join(dir, "missing.json"), METRICS_ADDR: "off" })).rejects.toThrow(/cannot read .*missing\.json.*FLAGS_FILE/);
  });
});

describe("flags at run time", () => {
  it("a changed file changes the evaluation without a restart; a bad change is refused and counted", async () => {
    const path = flagsFile();
    const game = await startAcceptanceGame({ FLAGS_FILE: path, TRACE_SAMPLE: "0.05" });
    const config = async (): Promise<number> => ((await (await fetch(`${game.game.url}${CLIENT_CONFIG_PATH}`)).json()) as { trace_sample_ratio: number }).trace_sample_ratio;
    const clientFlags = async (): Promise<Doc> => (await (await fetch(`${game.game.url}${CLIENT_FLAGS_PATH}`)).json()) as Doc;
    expect(game.flags.settings().traceRatio).toBeUndefined();
    expect(await config()).toBe(0.05);
    expect((await clientFlags()).flags["view-distance"].defaultVariant).toBeNull();
    expect(Object.keys((await clientFlags()).flags).sort()).toEqual(["mesher-mode", "view-distance"]);

    rewrite(path, (f) => {
      f["trace-ratio"].defaultVariant = "full";
      f["view-distance"].defaultVariant = "far";
    });
    await waitUntil("trace-ratio 1 in force", 10_000, () => game.flags.settings().traceRatio === 1);
    expect(await config()).toBe(1);
    expect((await clientFlags()).flags["view-distance"].defaultVariant).toBe("far");
    // Line-based: polling faster than prom-client samples event-loop lag makes those gauges "Nan".
    const reloads = (text: string, result: string): number | undefined => sample(text, "game_flag_reloads_total", { result });
    expect(reloads(await game.scrape(), "ok")).toBe(1);

    rewrite(path, (f) => void (f["trace-ratio"].defaultVariant = "everything"));
    await waitUntil("a refused reload", 10_000, async () => reloads(await game.scrape(), "rejected") === 1);
    expect(game.flags.settings().traceRatio).toBe(1);
    expect(await config()).toBe(1);
    const refused = game.logs.json().find((l) => l.msg === "flags.json change refused; the flags in force stay");
    expect(refused?.flag).toBe("trace-ratio");
  });

  it("records each evaluation on the flags.evaluate span: feature_flag.key and the variant", async () => {
    const receiver: Receiver = await startReceiver();
    try {
      const game = await startAcceptanceGame(
        { FLAGS_FILE: flagsFile((f) => void (f["trace-ratio"].defaultVariant = "default")), TRACE_SAMPLE: "0", OTLP_ENDPOINT: receiver.url },
        { telemetry: { export: { scheduledDelayMillis: 50 } } },
      );
      await game.telemetry.forceFlush();
      type Attr = { key: string; value: { stringValue?: string; doubleValue?: number; intValue?: string } };
      type Span = { name: string; events?: { name: string; attributes?: Attr[] }[] };
      const spans = receiver.requests.flatMap((r) =>
        otlpRequestBody<{ resourceSpans: { scopeSpans: { spans?: Span[] }[] }[] }>(r).resourceSpans
          .flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans ?? [])));
      const evaluate = spans.filter((s) => s.name === "flags.evaluate");
      expect(evaluate).toHaveLength(1);
      const events = (evaluate[0].events ?? []).filter((e) => e.name === "feature_flag.evaluation");
      const byKey = new Map(events.map((e) => [
        e.attributes?.find((a) => a.key === "feature_flag.key")?.value.stringValue,
        Object.fromEntries((e.attributes ?? []).map((a) => [a.key, a.value.stringValue ?? a.value.doubleValue ?? a.value.intValue])),
      ]));
      expect([...byKey.keys()].sort()).toEqual(["interest-radius", "tick-rate", "trace-ratio"]);
      expect(byKey.get("trace-ratio")).toMatchObject({
        "feature_flag.key": "trace-ratio",
        "feature_flag.variant": "default",
        "feature_flag.result.variant": "default",
        "feature_flag.context.id": `${game.telemetry.config.zone}/${game.telemetry.config.shard}`,
      });
      // A flag with no variant in force records the key and why, and no variant.
      expect(byKey.get("tick-rate")?.["feature_flag.variant"]).toBeUndefined();
      expect(byKey.get("tick-rate")?.["feature_flag.result.reason"]).toBe("disabled");
    } finally {
      await receiver.close();
    }
  });

  it("labels only the experiment histograms with the variant, from the closed set; the experiment applies", async () => {
    const path = flagsFile((f) => {
      f["tick-rate"].state = "ENABLED";
      f["tick-rate"].targeting = { fractional: [["control", 0], ["a", 100]] };
    });
    const game = await startAcceptanceGame({ FLAGS_FILE: path });
    expect(game.flags.applied.experiment).toEqual({ flag: "tick-rate", variant: "a" });
    expect(game.game.config.tickHz).toBe(20);
    const batch = fakeBatch({ frames: 30, frameMs: 33, gpuValidationErrors: 0 }, Date.now());
    batch.experiment = { flag: "view-distance", variant: "b" };
    const res = await fetch(`${game.game.url}${BREADCRUMBS_PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(batch) });
    expect(res.status).toBe(202);
    await game.game.waitForTicks(10);

    const families = parseExposition(await game.scrape()).families;
    const withVariant = [...families.values()].filter((f) => f.samples.some((s) => "variant" in s.labels)).map((f) => f.name).sort();
    expect(withVariant).toEqual(["game_client_frame_time_seconds", "game_tick_duration_seconds"]);
    for (const name of withVariant) {
      const values = new Set(families.get(name)!.samples.map((s) => s.labels.variant));
      expect([...values].sort(), name).toEqual(["a", "b", "c", "control", "none"]);
    }
    const count = (name: string, variant: string): number =>
      families.get(name)!.samples.find((s) => s.name === `${name}_count` && s.labels.variant === variant)?.value ?? Number.NaN;
    expect(count("game_tick_duration_seconds", "a")).toBeGreaterThanOrEqual(10);
    expect(count("game_tick_duration_seconds", "none")).toBe(0);
    expect(count("game_client_frame_time_seconds", "b")).toBe(30);
    expect(count("game_client_frame_time_seconds", "none")).toBe(0);
  });
});
