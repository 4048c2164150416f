// A zone killed with SIGKILL mid-traffic, in a real cluster (`npm run cluster`'s processes: Redis,
// PostgreSQL, supervised zones): the supervisor restarts it on its ports, the players, who found
// the zone's URL in the directory, reconnect and resume there, and no crater any of them saw is
// lost (the restarted zone's world is the one they saw, plus nothing they did not).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster } from "../../../scripts/cluster.ts";
import type { Cluster } from "../../../scripts/cluster.ts";
import { Bot, loopbackAddress } from "../../../src/server/bots/bot.ts";
import type { CarveMsg } from "../../../src/shared/protocol/index.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";

const BOTS = 3;
let cluster: Cluster;

/** The zone's public URL, as the directory advertises it (polls until its owner has written it). */
async function directoryUrl(zone: string): Promise<string> {
  const c = cluster.redis.client();
  c.on("error", () => {});
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const raw = await c.get(`voxel:zone:${zone}`);
      if (raw !== null) return (JSON.parse(raw) as { url: string }).url;
      if (Date.now() > deadline) throw new Error(`${zone} never appeared in the directory`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    c.disconnect();
  }
}

describe("a zone killed mid-traffic", () => {
  beforeAll(async () => {
    cluster = await startCluster({
      zones: 2, build: ["server"],
      env: { NPC_COUNT: "2", MESH_WORKERS: "1", STORE_LEASE_MS: "1000", PLAYER_SAVE_MS: "500", SPAWN_SPREAD: "0" },
    });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it("is restarted by the supervisor; its players reconnect through the directory's URL and no crater is lost", async () => {
    const url = await directoryUrl("zone-1");
    expect(url).toBe(cluster.zones[1].url);
    const bots = await Promise.all(Array.from({ length: BOTS }, (_, i) => Bot.connect({ url, localAddress: loopbackAddress(0, i), reconnect: true })));
    const rng = new Rng(7);
    try {
      // Shoot the ground around each bot until a few carves have landed, then kill mid-traffic.
      const shooting = setInterval(() => {
        for (const b of bots) if (b.joined) b.fire(rng.next() * 2 - 1, -2, rng.next() * 2 - 1);
      }, 260);
      await Promise.all(bots.map((b) => b.waitFor(() => b.carves.length >= 3, 20_000)));
      const pid = cluster.zones[1].pid();
      cluster.kill("zone-1", "SIGKILL");
      await Promise.all(bots.map((b) => b.waitFor(() => b.losses.length > 0, 10_000)));
      clearInterval(shooting);
      const seen = new Map<number, number>();
      for (const b of bots) for (const c of b.carves as CarveMsg[]) seen.set(c.seq, c.impactId);
      const before = bots.map((b) => ({ welcome: b.welcome!, lastSeq: b.lastSeq, checksum: b.checksum() }));
      const lastSeen = Math.max(...before.map((b) => b.lastSeq));

      // Restarted on the same ports; the bots resume (same sessions), topped up with what they missed.
      await cluster.waitHealthy("zone-1", 60_000);
      expect(cluster.zones[1].pid()).not.toBe(pid);
      expect(cluster.zones[1].restarts()).toBe(1);
      expect(await directoryUrl("zone-1")).toBe(url);
      for (let i = 0; i < BOTS; i++) {
        const b = bots[i];
        await b.waitFor(() => b.welcome !== before[i].welcome && b.joined, 40_000);
        expect(b.welcome!.resumed).toBe(true);
        expect(b.welcome!.sessionId).toBe(before[i].welcome.sessionId);
      }
      const report = (await (await fetch(`http://${cluster.zones[1].metrics}/debug/world`)).json()) as { zone: string; committed_seq: number; checksum: number };
      expect(report.zone).toBe("zone-1");
      // Every carve a bot saw was durable before it was broadcast: the restarted zone holds them all.
      expect(report.committed_seq).toBeGreaterThanOrEqual(lastSeen);
      expect(seen.size).toBeGreaterThanOrEqual(3);
      for (const b of bots) expect(b.checksum()).toBe(report.checksum);
      // The other zone never stopped.
      expect(cluster.zones[0].restarts()).toBe(0);
    } finally {
      await Promise.all(bots.map((b) => b.close()));
    }
  }, 150_000);
});
