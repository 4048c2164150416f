// Acceptance (issue 4): the real server exports OTLP/HTTP to a test receiver on loopback with
// TRACE_SAMPLE=1. A bot fires at the spawn wall with a traceparent the test makes up; the
// exported spans continue that trace (its trace id, the root's parent = our span id) through
// command, projectile integrate, destructible raycast, voxel carve, chunk mesh (timed in the mesh
// worker thread) and collider rebuild, with zone, shard, did, chunk and impact_id where they
// apply and every parent link resolvable. Traces the server starts itself hang off its tick.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bot } from "../../../src/server/bots/bot.ts";
import type { CarveMsg } from "../../../src/shared/protocol/index.ts";
import { SPAN_NAMES } from "../../../src/shared/telemetry/names.ts";
import {
  aimAtWall,
  cleanup,
  connectBots,
  decodeOtlp,
  onCleanup,
  play,
  randomTraceparent,
  sleep,
  spawnWall,
  startAcceptanceGame,
  startReceiver,
  waitUntil,
} from "./harness.ts";
import type { AcceptanceGame, DecodedSpan, Receiver } from "./harness.ts";

const ZONE = "z2";
const SHARD = "s4";

/** The five hot-path spans the issue names. */
const FIVE = [
  SPAN_NAMES.projectileIntegrate,
  SPAN_NAMES.destructibleRaycast,
  SPAN_NAMES.voxelCarve,
  SPAN_NAMES.chunkMesh,
  SPAN_NAMES.colliderRebuild,
] as const;

let g: AcceptanceGame;
let receiver: Receiver;
let bots: Bot[];
let ours: { traceId: string; spanId: string; commandId: number; carve: CarveMsg };
let spans: DecodedSpan[];

/** Fires at the wall with a fresh made-up traceparent until one shot's carve comes back. */
async function tracedCarve(bot: Bot): Promise<typeof ours> {
  const wall = spawnWall();
  for (let attempt = 0; attempt < 15; attempt++) {
    const tp = randomTraceparent();
    const commandId = bot.fire(...aimAtWall(wall, bot.eye()), { traceparent: tp.header });
    const outcome = await bot
      .waitFor(() => bot.carves.find((c) => c.commandId === commandId) ?? (bot.hits.some((h) => h.commandId === commandId) ? "hit" : undefined), 3000)
      .catch(() => undefined);
    if (outcome !== undefined && outcome !== "hit") return { traceId: tp.traceId, spanId: tp.spanId, commandId, carve: outcome };
    await sleep(300);
  }
  throw new Error("no carve from a traced shot after 15 attempts");
}

beforeAll(async () => {
  receiver = await startReceiver();
  onCleanup(() => receiver.close());
  g = await startAcceptanceGame(
    { ZONE, SHARD, OTLP_ENDPOINT: receiver.url, TRACE_SAMPLE: "1" },
    { telemetry: { export: { scheduledDelayMillis: 100 } } },
  );
  bots = await connectBots(g.game.wsUrl, 3);

  // Our traced shot goes alone: a second impact on the same chunk before it is meshed would
  // (rightly) hand the chunk's remesh to that impact's trace.
  ours = await tracedCarve(bots[0]);
  const impactId = ours.carve.impactId;
  await waitUntil("the traced impact's collider.rebuild span at the receiver", 15_000, async () => {
    await g.telemetry.forceFlush();
    return decodeOtlp(receiver.requests).some((s) => s.name === SPAN_NAMES.colliderRebuild && s.attrs.impact_id === impactId);
  });

  // Then everyone plays for a moment without traceparents: traces the server starts itself.
  const loop = play(bots);
  await waitUntil("carves from untraced shots", 10_000, () => bots[1].carves.some((c) => c.commandId !== null && c.shooterId === bots[1].welcome?.entityId));
  loop.stop();
  await sleep(300);
  await g.telemetry.forceFlush();
  spans = decodeOtlp(receiver.requests);
}, 30_000);

afterAll(cleanup);

/** The chain of ancestors of `s` within `trace` (nearest first). */
function ancestors(s: DecodedSpan, trace: readonly DecodedSpan[]): DecodedSpan[] {
  const byId = new Map(trace.map((x) => [x.spanId, x]));
  const out: DecodedSpan[] = [];
  for (let p = s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId); p !== undefined; p = p.parentSpanId === undefined ? undefined : byId.get(p.parentSpanId)) {
    out.push(p);
  }
  return out;
}

describe("OTLP export to a loopback receiver", () => {
  it("posts OTLP/JSON to /v1/traces with the service, zone and shard as resource", () => {
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(spans.length).toBeGreaterThan(0);
    for (const s of spans) expect(s.resource).toMatchObject({ "service.name": "voxel-server", zone: ZONE, shard: SHARD });
  });

  it("exports the five hot-path spans, each with zone and shard", () => {
    for (const name of FIVE) {
      const named = spans.filter((s) => s.name === name);
      expect(named.length, name).toBeGreaterThan(0);
      for (const s of named) expect(s.attrs, name).toMatchObject({ zone: ZONE, shard: SHARD });
    }
  });

  it("continues the client's traceparent: same trace id, the root's parent is the client's span", () => {
    const trace = spans.filter((s) => s.traceId === ours.traceId);
    const roots = trace.filter((s) => s.parentSpanId === ours.spanId);
    expect(roots.map((s) => s.name)).toEqual([SPAN_NAMES.command]);
    expect(roots[0].attrs).toMatchObject({ zone: ZONE, shard: SHARD, command_id: ours.commandId });
    // Every other span of the trace hangs off a span of the same trace: no broken links.
    const ids = new Set(trace.map((s) => s.spanId));
    const orphans = trace.filter((s) => s !== roots[0] && (s.parentSpanId === undefined || !ids.has(s.parentSpanId)));
    expect(orphans.map((s) => s.name)).toEqual([]);
    for (const name of FIVE) expect(trace.some((s) => s.name === name), name).toBe(true);
  });

  it("links command -> integrate/raycast -> carve -> mesh -> collider, with did, chunk and impact_id", () => {
    const trace = spans.filter((s) => s.traceId === ours.traceId);
    const one = (name: string): DecodedSpan => {
      const found = trace.filter((s) => s.name === name);
      expect(found.length, name).toBeGreaterThan(0);
      return found[0];
    };
    const command = one(SPAN_NAMES.command);
    const impact = { did: ours.carve.did, impact_id: ours.carve.impactId };
    const CHUNK = /^\d+,\d+,\d+$/;

    for (const s of trace.filter((x) => x.name === SPAN_NAMES.projectileIntegrate)) {
      expect(s.parentSpanId).toBe(command.spanId);
      expect(s.attrs.command_id).toBe(ours.commandId);
    }
    const raycasts = trace.filter((x) => x.name === SPAN_NAMES.destructibleRaycast);
    for (const s of raycasts) expect(s.parentSpanId).toBe(command.spanId);
    // The raycast that hit names what it hit; the carve, mesh and collider spans carry the same impact.
    const hit = raycasts.find((s) => s.attrs.impact_id === ours.carve.impactId);
    expect(hit?.attrs).toMatchObject({ ...impact, kind: ours.carve.did !== 0 ? "destructible" : "terrain" });
    expect(String(hit?.attrs.chunk)).toMatch(CHUNK);

    const carve = one(SPAN_NAMES.voxelCarve);
    expect(carve.attrs).toMatchObject({ ...impact, command_id: ours.commandId });
    expect(String(carve.attrs.chunk)).toMatch(CHUNK);
    expect(carve.attrs.chunk).toBe(hit?.attrs.chunk);
    expect(ancestors(carve, trace)).toContain(command);

    const meshes = trace.filter((x) => x.name === SPAN_NAMES.chunkMesh);
    expect(meshes.length).toBeGreaterThan(0);
    for (const m of meshes) {
      expect(m.attrs).toMatchObject(impact);
      expect(String(m.attrs.chunk)).toMatch(CHUNK);
      expect(m.parentSpanId).toBe(carve.spanId);
      // Meshed in the worker thread (not inline), and the span, ended with the worker's end
      // time, covers the mesh time the worker measured (10% slack for the two threads' clocks).
      expect(typeof m.attrs.mesh_ms).toBe("number");
      expect(m.attrs.inline).toBeUndefined();
      expect(Number(m.endNs - m.startNs) / 1e6).toBeGreaterThanOrEqual(Number(m.attrs.mesh_ms) * 0.9);
    }
    const colliders = trace.filter((x) => x.name === SPAN_NAMES.colliderRebuild);
    expect(colliders.length).toBeGreaterThan(0);
    for (const c of colliders) {
      expect(c.attrs).toMatchObject(impact);
      expect(meshes.map((m) => m.spanId)).toContain(c.parentSpanId);
      expect(meshes.find((m) => m.spanId === c.parentSpanId)?.attrs.chunk).toBe(c.attrs.chunk);
      const chain = ancestors(c, trace).map((s) => s.name);
      expect(chain).toEqual([SPAN_NAMES.chunkMesh, SPAN_NAMES.voxelCarve, SPAN_NAMES.command]);
    }
  });

  it("starts its own traces for commands without a traceparent, under the tick span", () => {
    const shooter = bots[1].welcome!.entityId;
    const carve = bots[1].carves.find((c) => c.shooterId === shooter && c.commandId !== null)!;
    const carveSpan = spans.find((s) => s.name === SPAN_NAMES.voxelCarve && s.attrs.impact_id === carve.impactId);
    expect(carveSpan).toBeDefined();
    const trace = spans.filter((s) => s.traceId === carveSpan!.traceId);
    expect(trace.some((s) => s.parentSpanId === ours.spanId)).toBe(false);
    const chain = ancestors(carveSpan!, trace);
    expect(chain.map((s) => s.name)).toEqual([SPAN_NAMES.command, SPAN_NAMES.tick]);
    expect(chain[1].parentSpanId).toBeUndefined();
  });

  it("the embedded /debug/tracez shows the same trace", async () => {
    const res = await fetch(`${g.metricsUrl}/debug/tracez?trace_id=${ours.traceId}`);
    const body = (await res.json()) as { traces: { trace_id: string; spans: { span_id: string }[] }[] };
    expect(body.traces.map((t) => t.trace_id)).toEqual([ours.traceId]);
    const exported = new Set(spans.filter((s) => s.traceId === ours.traceId).map((s) => s.spanId));
    expect(new Set(body.traces[0].spans.map((s) => s.span_id))).toEqual(exported);
  });
});
