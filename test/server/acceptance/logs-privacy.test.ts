// Acceptance (issue 4): the real server's log lines while bots play, with the destruct
// component at debug and every trace sampled and exported to a loopback receiver. Every line is
// JSON with level/time/component/zone/shard; the effective-config line appears once; a carve's
// impact_id (from the carve event a bot received) is in a log line and in a span, and the log
// line's trace_id/span_id are that span's. A client that puts a name, e-mail, tokens and an IP
// in its query string and headers, a made-up resume token and a bogus traceparent leaves none
// of it in logs, /metrics or exported spans, and no log field gives the client's address.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bot } from "../../../src/server/bots/bot.ts";
import type { CarveMsg } from "../../../src/shared/protocol/index.ts";
import { COMPONENTS, SPAN_NAMES } from "../../../src/shared/telemetry/names.ts";
import {
  cleanup,
  connectBots,
  decodeOtlp,
  HeaderClient,
  jsonLines,
  onCleanup,
  play,
  PROVOCATION,
  sleep,
  spanStrings,
  startAcceptanceGame,
  startReceiver,
  waitUntil,
} from "./harness.ts";
import type { AcceptanceGame, DecodedSpan, LogLine, Receiver } from "./harness.ts";

const ZONE = "z6";
const SHARD = "s1";
const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];

let g: AcceptanceGame;
let receiver: Receiver;
let bots: Bot[];
let provocateur: HeaderClient;
let lines: LogLine[];
/** bots[0]'s carve events, taken before the logs and spans (shots still in flight carve later). */
let carves: CarveMsg[] = [];
let spans: DecodedSpan[];
let metricsText: string;
let tracezText: string;
let playTicks = 0;

beforeAll(async () => {
  receiver = await startReceiver();
  onCleanup(() => receiver.close());
  g = await startAcceptanceGame(
    { ZONE, SHARD, LOG_LEVEL: "info,destruct=debug", OTLP_ENDPOINT: receiver.url, TRACE_SAMPLE: "1" },
    { telemetry: { export: { scheduledDelayMillis: 100 } } },
  );
  bots = await connectBots(g.game.wsUrl, 3);
  provocateur = await HeaderClient.connect(`${g.game.wsUrl}${PROVOCATION.query}`, { ...PROVOCATION.headers }, PROVOCATION.resumeToken);
  const tick0 = g.game.game.tick;
  const loop = play([...bots, provocateur], { traceparent: (p) => (p === provocateur ? PROVOCATION.traceparent : null) });
  await waitUntil("carves by the provocative client and a bot", 15_000, () =>
    provocateur.carves.some((c) => c.shooterId === provocateur.welcome?.entityId) && bots[0].carves.length > 2);
  await sleep(1000);
  loop.stop();
  playTicks = g.game.game.tick - tick0;
  await sleep(300);
  // A carve's log line is written and its span ended in the tick that sends the event, so every
  // event taken here has its line captured below and its span flushed.
  carves = bots[0].carves.slice();
  await g.telemetry.forceFlush();
  lines = jsonLines(g.logs);
  spans = decodeOtlp(receiver.requests);
  metricsText = await g.scrape();
  tracezText = await (await fetch(`${g.metricsUrl}/debug/tracez`)).text();
}, 30_000);

afterAll(cleanup);

describe("log lines", () => {
  it("are all JSON with level, time, component, zone and shard", () => {
    expect(lines.length).toBeGreaterThan(5);
    const bad = lines.filter((l) =>
      !LEVELS.includes(String(l.level)) ||
      typeof l.time !== "string" || Number.isNaN(Date.parse(l.time)) ||
      !(COMPONENTS as readonly string[]).includes(String(l.component)) ||
      l.zone !== ZONE || l.shard !== SHARD ||
      typeof l.msg !== "string");
    expect(bad).toEqual([]);
  });

  it("have the effective telemetry config exactly once", () => {
    const effective = lines.filter((l) => l.msg === "telemetry configured");
    expect(effective).toHaveLength(1);
    expect(effective[0]).toMatchObject({
      component: "telemetry", level: "info", log_level: "info,destruct=debug", trace_sample: 1, sentry: "off",
      otlp_endpoint: receiver.url,
    });
  });

  it("stay rare at info and above while the game ticks (no per-tick or per-shot info lines)", () => {
    const loud = lines.filter((l) => l.level !== "debug" && l.level !== "trace");
    expect(playTicks).toBeGreaterThan(30);
    // Lifecycle only: config, world, listening, one join per player.
    expect(loud.length).toBeLessThan(15);
  });
});

describe("one impact, from the client's carve event to a log line and a span", () => {
  it("the carve's impact_id is in a destruct log line whose trace_id/span_id are the voxel.carve span's", () => {
    expect(carves.length).toBeGreaterThan(0);
    let matched = 0;
    for (const c of carves) {
      const line = lines.find((l) => l.impact_id === c.impactId && l.msg === "crater carved");
      expect(line, `log line for impact ${c.impactId}`).toMatchObject({ component: "destruct", level: "debug", did: c.did });
      const span = spans.find((s) => s.name === SPAN_NAMES.voxelCarve && s.attrs.impact_id === c.impactId);
      expect(span, `span for impact ${c.impactId}`).toBeDefined();
      expect(line?.trace_id).toBe(span?.traceId);
      expect(line?.span_id).toBe(span?.spanId);
      matched++;
    }
    expect(matched).toBe(carves.length);
  });

  it("the impact's later work (mesh, collider) shares that trace id", () => {
    const c = carves[0];
    const carveSpan = spans.find((s) => s.name === SPAN_NAMES.voxelCarve && s.attrs.impact_id === c.impactId)!;
    const sameTrace = spans.filter((s) => s.traceId === carveSpan.traceId).map((s) => s.name);
    expect(sameTrace).toContain(SPAN_NAMES.command);
    expect(sameTrace).toContain(SPAN_NAMES.destructibleRaycast);
  });
});

describe("nothing a client says about itself reaches telemetry", () => {
  it("the provocative client really played (positive control)", () => {
    const session = provocateur.welcome!.sessionId;
    expect(session).toMatch(/^[0-9a-f]{32}$/);
    expect(lines.some((l) => l.session_id === session && l.msg === "player joined")).toBe(true);
    const mine = provocateur.carves.filter((c) => c.shooterId === provocateur.welcome!.entityId);
    expect(mine.length).toBeGreaterThan(0);
    expect(spans.some((s) => s.name === SPAN_NAMES.voxelCarve && s.attrs.session_id === session)).toBe(true);
  });

  it("no log line, /metrics text, exported span or tracez page holds a name, e-mail, token or IP it sent", () => {
    const places: [string, string][] = [
      ...g.logs.lines.map((l, i): [string, string] => [`log line ${i + 1}`, l]),
      ["/metrics", metricsText],
      ["/debug/tracez", tracezText],
      ...receiver.requests.map((r, i): [string, string] => [`OTLP request ${i + 1}`, r.body.toString("utf8")]),
      ...spans.map((s): [string, string] => [`span ${s.name} ${s.spanId}`, spanStrings(s).join("\n")]),
    ];
    const leaks: string[] = [];
    for (const [where, text] of places) {
      for (const needle of PROVOCATION.needles) if (text.includes(needle)) leaks.push(`${where}: ${needle}`);
    }
    expect(leaks).toEqual([]);
  });

  it("no log line, /metrics text, exported span or tracez page holds a player's or NPC's callsign", () => {
    const callsigns = [...bots, provocateur].map((p) => p.welcome?.callsign ?? "");
    for (const e of g.game.game.entities.slots) if (e !== null) callsigns.push(e.callsign);
    // Positive control: every player and NPC has one, and they are distinct.
    expect(callsigns.every((c) => /^[A-Z][a-z]+ [A-Z][a-z]+ \d\d$/.test(c))).toBe(true);
    expect(new Set(callsigns.slice(0, bots.length + 1)).size).toBe(bots.length + 1);
    const places: [string, string][] = [
      ...g.logs.lines.map((l, i): [string, string] => [`log line ${i + 1}`, l]),
      ["/metrics", metricsText],
      ["/debug/tracez", tracezText],
      ...spans.map((s): [string, string] => [`span ${s.name} ${s.spanId}`, spanStrings(s).join("\n")]),
    ];
    const leaks: string[] = [];
    for (const [where, text] of places) for (const c of callsigns) if (text.includes(c)) leaks.push(`${where}: ${c}`);
    expect(leaks).toEqual([]);
  });

  it("no log field, label or span attribute gives a client address (127.0.0.1 appears only as the server's own listeners)", () => {
    const own = new Set([String(g.game.port), String(g.telemetry.metricsServer!.address.port), new URL(receiver.url).port]);
    const problems: string[] = [];
    for (const l of lines) {
      for (const [k, v] of Object.entries(l)) {
        if (!String(v).includes("127.0.0.1")) continue;
        const port = /127\.0\.0\.1:(\d+)/.exec(String(v))?.[1];
        if (!["url", "metrics_addr", "otlp_endpoint"].includes(k) || port === undefined || !own.has(port)) problems.push(`log ${l.msg}: ${k}=${String(v)}`);
      }
    }
    if (metricsText.includes("127.0.0.1")) problems.push("/metrics holds 127.0.0.1");
    for (const s of spans) if (spanStrings(s).some((x) => x.includes("127.0.0.1"))) problems.push(`span ${s.name} holds 127.0.0.1`);
    expect(problems).toEqual([]);
  });
});
