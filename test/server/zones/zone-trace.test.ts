// One hand-off is one trace across two processes: in a real cluster whose zones export OTLP to a
// receiver (every trace sampled), a bot walks from zone-0 into zone-1, and zone-1's zone.admit
// span is a child of zone-0's zone.handoff span (same trace id, its parent span id), joined
// through the traceparent that rode in the seat request and the ticket. The same session_id is
// on both, so logs correlate too.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster } from "../../../scripts/cluster.ts";
import type { Cluster } from "../../../scripts/cluster.ts";
import { Bot } from "../../../src/server/bots/bot.ts";
import { Traveller } from "../../../src/server/bots/travel.ts";
import { SPAN_NAMES } from "../../../src/shared/telemetry/names.ts";
import { decodeOtlp, startReceiver, waitUntil } from "../acceptance/harness.ts";
import type { Receiver } from "../acceptance/harness.ts";

let cluster: Cluster;
let receiver: Receiver;
let dir: string;

describe("a hand-off across two processes", () => {
  beforeAll(async () => {
    receiver = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), "voxel-zone-trace-"));
    // A 64x64x128 world: the spawn plaza spans it east-west, so the walk to the edge is flat and short.
    const cfg = join(dir, "zone.json");
    writeFileSync(cfg, JSON.stringify({ chunksX: 2, chunksY: 2, chunksZ: 4 }));
    cluster = await startCluster({
      zones: 2, build: ["server"],
      env: { NPC_COUNT: "0", MESH_WORKERS: "1", STORE_LEASE_MS: "1000", SPAWN_SPREAD: "0", TELEMETRY_CONFIG: cfg, OTLP_ENDPOINT: receiver.url, TRACE_SAMPLE: "1" },
    });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("is one trace: zone.admit in the zone entered is a child of zone.handoff in the zone left", async () => {
    const bot = await Bot.connect({ url: cluster.zones[0].url, trackWorld: false });
    const sessionId = bot.welcome!.sessionId;
    try {
      const walker = new Traveller(bot, "east", 1);
      await waitUntil("the bot in zone-1", 40_000, async () => {
        walker.step();
        await new Promise((r) => setTimeout(r, 33));
        return bot.zone === "zone-1" && bot.joined;
      });
      expect(bot.welcome!.sessionId).toBe(sessionId);
      const pair = await waitUntil("both spans exported", 20_000, () => {
        const spans = decodeOtlp(receiver.requests);
        const handoff = spans.find((s) => s.name === SPAN_NAMES.zoneHandoff && s.attrs.session_id === sessionId);
        const admit = spans.find((s) => s.name === SPAN_NAMES.zoneAdmit && s.attrs.session_id === sessionId);
        return handoff !== undefined && admit !== undefined ? { handoff, admit } : undefined;
      });
      const { handoff, admit } = pair;
      expect(handoff.attrs).toMatchObject({ zone: "zone-0", to_zone: "zone-1", edge: "east", result: "ok" });
      expect(admit.attrs).toMatchObject({ zone: "zone-1", from_zone: "zone-0", result: "ok" });
      expect(admit.traceId).toBe(handoff.traceId);
      expect(admit.parentSpanId).toBe(handoff.spanId);
    } finally {
      await bot.close();
    }
  }, 90_000);
});
