// Trace propagation through the systems with a recording telemetry backend: a fire command's
// client traceparent parents the command span; integrate, raycast and carve continue that
// trace; the mesh job parents under the carve and the collider rebuild under the mesh job;
// spans carry zone, shard, did, chunk and impact_id. The scheduler times every system.
import { afterEach, describe, expect, it } from "vitest";
import { installBackends } from "../../../src/server/telemetry/facade.ts";
import type { Fields, Log, Metrics, SpanHandle, TelemetryBackends } from "../../../src/server/telemetry/facade.ts";
import { Scheduler } from "../../../src/server/loop/scheduler.ts";
import { SYSTEM_ORDER } from "../../../src/server/systems/index.ts";
import { formatTraceparent, parseTraceparent } from "../../../src/shared/telemetry/trace-context.ts";
import type { TraceContext } from "../../../src/shared/telemetry/trace-context.ts";
import { SPAWN_WALL_DID } from "../../../src/shared/voxel/worldgen.ts";
import { harness } from "../support.ts";
import type { SystemHarness } from "../support.ts";

interface Recorded {
  name: string;
  fields: Fields;
  parent: string | undefined;
  id: string;
  ended: boolean;
}

function recordingBackend(): { backends: TelemetryBackends; spans: Recorded[]; metrics: Record<string, number> } {
  const spans: Recorded[] = [];
  const counts: Record<string, number> = {};
  let next = 1;
  const noop = (): void => {};
  const log: Log = { debug: noop, info: noop, warn: noop, error: noop, warnLimited: noop, child: () => log };
  const start = (name: string, fields: Fields, parent?: TraceContext): SpanHandle => {
    const id = (next++).toString(16).padStart(16, "0");
    const rec: Recorded = { name, fields: { ...fields }, parent: parent && formatTraceparent(parent), id, ended: false };
    const context: TraceContext = { traceId: "ab".repeat(16), spanId: id, traceFlags: 1, isRemote: false };
    spans.push(rec);
    return {
      setAttributes: (f) => Object.assign(rec.fields, f),
      recordError: noop,
      context: () => context,
      end: () => void (rec.ended = true),
    };
  };
  const metrics = new Proxy({} as Metrics, {
    get: (_t, key: string) => () => void (counts[key] = (counts[key] ?? 0) + 1),
  });
  return {
    spans,
    metrics: counts,
    backends: {
      logger: () => log,
      metrics,
      tracing: {
        extract: (tp) => {
          const r = tp ? parseTraceparent(tp) : undefined;
          return r?.ok ? r.value : undefined;
        },
        withSpan: (name, fields, fn, parent) => {
          const s = start(name, fields, parent);
          try {
            return fn(s);
          } finally {
            s.end();
          }
        },
        startSpan: (name, fields, parent) => start(name, fields, parent),
      },
    },
  };
}

let uninstall: (() => void) | null = null;
const open: SystemHarness[] = [];
afterEach(async () => {
  uninstall?.();
  uninstall = null;
  for (const h of open.splice(0)) await h.mesher.close();
});

describe("tracing through the tick", () => {
  it("continues a client's traceparent from the command to the collider rebuild", () => {
    const rec = recordingBackend();
    uninstall = installBackends(rec.backends);
    const h = harness({ npcCount: 0 }, 0);
    open.push(h);
    const s = new Scheduler(h.game, SYSTEM_ORDER, h.ctx);
    const p = h.game.spawnPlayer("sess")!;
    const clientTp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    Object.assign(p.control!.fires.pushSlot()!, { commandId: 5, ox: 0, oy: 0, oz: 0, dx: 0, dy: 0, dz: -1, parent: rec.backends.tracing.extract(clientTp) });
    for (let i = 0; i < 30; i++) s.tick();

    const byName = (n: string) => rec.spans.filter((x) => x.name === n);
    const tp = (r: Recorded) => `00-${"ab".repeat(16)}-${r.id}-01`;
    const [command] = byName("player.command");
    expect(command.parent).toBe(clientTp);
    expect(command.fields).toMatchObject({ command_id: 5, session_id: "sess", zone: "z0", shard: "s0" });
    // One flight span of each per projectile (not one per tick), ended the tick it hit, with the steps flown.
    const [integrate, ...moreIntegrates] = byName("projectile.integrate");
    expect(moreIntegrates).toEqual([]);
    expect(integrate.parent).toBe(tp(command));
    expect(integrate.ended).toBe(true);
    const [hit, ...moreRaycasts] = byName("destructible.raycast");
    expect(moreRaycasts).toEqual([]);
    expect(hit.ended).toBe(true);
    expect(hit.fields.did).toBe(SPAWN_WALL_DID);
    expect(hit.fields.ticks).toBeGreaterThan(1);
    expect(integrate.fields.ticks).toBe(hit.fields.ticks);
    expect(hit.parent).toBe(tp(command));
    expect(hit.fields.kind).toBe("destructible");
    expect(hit.fields.impact_id).not.toBe(0);
    const [carve] = byName("voxel.carve");
    expect(carve.parent).toBe(tp(command));
    expect(carve.fields).toMatchObject({ did: SPAWN_WALL_DID, impact_id: hit.fields.impact_id, chunk: hit.fields.chunk, command_id: 5 });
    const meshes = byName("chunk.mesh");
    expect(meshes.length).toBeGreaterThan(0);
    expect(meshes.every((m) => m.parent === tp(carve) && m.fields.impact_id === carve.fields.impact_id && m.ended)).toBe(true);
    const colliders = byName("collider.rebuild");
    expect(colliders.length).toBe(meshes.length);
    for (const c of colliders) {
      expect(meshes.map(tp)).toContain(c.parent);
      expect(c.fields).toMatchObject({ did: SPAWN_WALL_DID, impact_id: carve.fields.impact_id });
      expect(String(c.fields.chunk)).toMatch(/^\d+,\d+,\d+$/);
    }
    // One tick span per tick; every system timed by the scheduler each tick.
    expect(byName("server.tick").length).toBe(30);
    expect(rec.metrics.systemDuration).toBe(30 * SYSTEM_ORDER.length);
    expect(rec.metrics.tickDuration).toBe(30);
    expect(rec.metrics.carveRequests).toBe(1);
    expect(rec.metrics.projectileHit).toBe(1);
  });
});
