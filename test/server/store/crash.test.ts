// Crash test: the real CLI keeps its world in a real store (a SQLite file; a PostgreSQL cluster the
// harness starts on loopback) while real bots walk and shoot the ground, and the process is
// killed with SIGKILL at a random moment, several times. After each kill:
//   - every carve any bot received is in the store (its seq, with its impact_id), and the
//     stored log up to the last seq the bots saw rebuilds exactly the world they saw;
//   - the restarted server (same store) accepts joins, its /debug/world reports that log, and
//     the bots resume: the same players (by resume token, from their saved records, near where
//     they were), their worlds topped up with only the edits they missed, equal to the server's.
// The bots reconnect as the page does (the same Connection and world sync, with backoff), so the
// server keeps one port across restarts.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bot, loopbackAddress } from "../../../src/server/bots/bot.ts";
import { resolveServerConfig } from "../../../src/server/config.ts";
import { worldIdentity } from "../../../src/server/game/state.ts";
import { replayImage } from "../../../src/server/store/format.ts";
import { openZoneStore, parseStoreSpec } from "../../../src/server/store/index.ts";
import type { StoreSpec } from "../../../src/server/store/index.ts";
import type { ZoneImage } from "../../../src/server/store/types.ts";
import type { CarveMsg } from "../../../src/shared/protocol/index.ts";
import { MOVE } from "../../../src/shared/physics/movement.ts";
import { worldChecksum } from "../../../src/shared/voxel/checksum.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { generateWorld } from "../../../src/shared/voxel/worldgen.ts";
import { killClis, startCli } from "../cli.ts";
import type { Cli } from "../cli.ts";
import { startPostgres } from "./postgres.ts";
import type { TestPostgres } from "./postgres.ts";

const BOTS = 3;
const KILLS = 3;
/** Player records are saved this often: a resumed player is at most this (plus a tick) back. */
const PLAYER_SAVE_MS = 500;
const IDENTITY = worldIdentity(resolveServerConfig({}));

interface Engine {
  readonly name: string;
  /** The STORE setting and any other environment of the CLI. */
  env(): Record<string, string>;
  setup(): Promise<void>;
  teardown(): Promise<void>;
}

let pgServer: TestPostgres | null = null;
let sqliteDir = "";
const ENGINES: Engine[] = [
  {
    name: "sqlite",
    env: () => ({ STORE: `sqlite:${sqliteDir}` }),
    setup: async () => {
      sqliteDir = mkdtempSync(join(tmpdir(), "voxel-crash-store-"));
    },
    teardown: async () => rmSync(sqliteDir, { recursive: true, force: true }),
  },
  {
    name: "postgres",
    // A short lease: a killed owner's session is gone at once anyway; a lease only matters for a paused
    // one. Compaction every second, so restarts replay a snapshot and its tail (the SQLite run keeps
    // the whole log, so there every impact_id seen is checked).
    env: () => ({ STORE: pgServer!.url, STORE_LEASE_MS: "1000", COMPACT_EVERY_MS: "1000" }),
    setup: async () => {
      pgServer = await startPostgres();
    },
    teardown: async () => pgServer?.stop(),
  },
];

afterAll(() => killClis());

/** A loopback port free right now (the restarted server binds the same one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** What the store holds for the default zone, read through the Store interface (claims it, then lets go). */
async function readZone(store: string): Promise<ZoneImage> {
  const s = await openZoneStore(parseStoreSpec(store) as StoreSpec, "z0", IDENTITY, { leaseMs: 1000, leaseRenewMs: 300, claimTimeoutMs: 10_000 });
  try {
    return s.image;
  } finally {
    await s.close();
  }
}

/** Checksum of the generated world with the image's snapshot and its edits up to `lastSeq` replayed. */
function checksumUpTo(image: ZoneImage, lastSeq: number): number {
  const world = generateWorld(IDENTITY).world;
  replayImage(world, { chunks: image.chunks, tail: image.tail.filter((r) => r.seq <= lastSeq) });
  return worldChecksum(world);
}

/**
 * Walks each bot for two seconds (12 voxels on open ground) in a random direction, shooting the
 * ground around it until stopped. `walked()` is true once every bot has stopped walking.
 */
function play(bots: readonly Bot[], rng: Rng): { stop: () => void; walked: () => boolean } {
  let stopped = false;
  let done = 0;
  const timers = bots.map((bot) => {
    const yaw = rng.next() * 2 * Math.PI;
    let n = 0;
    return setInterval(() => {
      if (stopped || bot.closed !== null) return;
      n++;
      if (n <= 60) bot.input(1, 0, yaw);
      else if (n === 61) {
        bot.input(0, 0, yaw);
        done++;
      }
      // The weapon's cooldown is 250 ms: every 9th 30 ms step.
      if (n % 9 === 0) bot.fire(rng.next() * 2 - 1, -2, rng.next() * 2 - 1);
    }, 30);
  });
  return {
    walked: () => done === bots.length,
    stop: () => {
      stopped = true;
      for (const t of timers) clearInterval(t);
    },
  };
}

describe.each(ENGINES)("crash and restart on $name", (engine) => {
  beforeAll(() => engine.setup(), 60_000);
  afterAll(() => engine.teardown());

  it(`keeps every carve a bot saw and resumes the players, across ${KILLS} SIGKILLs`, async () => {
    const rng = new Rng(engine.name === "sqlite" ? 12 : 34);
    const env: Record<string, string> = { ...engine.env(), PLAYER_SAVE_MS: String(PLAYER_SAVE_MS), MESH_WORKERS: "1", PORT: String(await freePort()) };
    let cli: Cli = await startCli(env);
    const url = `${cli.gameUrl.replace(/^http/, "ws")}/ws`;
    const bots: Bot[] = [];
    for (let i = 0; i < BOTS; i++) bots.push(await Bot.connect({ url, localAddress: loopbackAddress(0, i), reconnect: true }));
    const seen = new Map<number, number>();
    /** Kill to accepting joins (including node and tsx starting), and the server's own load and replay. */
    const recoveries: number[] = [];
    const recoverMs: number[] = [];
    let continuedJoins = 0;
    let walkedAndResumed = 0;
    let snapshots = 0;

    for (let round = 0; round < KILLS; round++) {
      const joinedAt = bots.map((b) => [b.self.x, b.self.z]);
      const { stop, walked } = play(bots, rng);
      // Let a few carves land and the walks end, then kill at a random moment.
      const carvesBefore = bots.map((b) => b.carves.length);
      await Promise.all(bots.map((b, i) => b.waitFor(() => b.carves.length >= carvesBefore[i] + 2 && walked(), 15_000)));
      await new Promise((r) => setTimeout(r, 200 + rng.next() * 800));
      cli.child.kill("SIGKILL");
      const exit = await cli.exited;
      expect(exit.signal).toBe("SIGKILL");
      stop();
      await Promise.all(bots.map((b) => b.waitFor(() => b.losses.length > round, 10_000)));
      // What each bot had when the server died (its world waits, unchanged, for the reconnect).
      const before = bots.map((b) => ({
        welcome: b.welcome!, lastSeq: b.lastSeq, checksum: b.checksum(), x: b.self.x, z: b.self.z, continued: b.continuedJoins,
      }));

      // Every carve a bot received is stored, under its seq with its impact_id.
      for (const b of bots) for (const c of b.carves as CarveMsg[]) seen.set(c.seq, c.impactId);
      const lastSeen = Math.max(...before.map((b) => b.lastSeq));
      expect(seen.size).toBeGreaterThan(0);
      const image = await readZone(env.STORE!);
      expect(image.lastSeq).toBeGreaterThanOrEqual(lastSeen);
      const stored = new Map(image.tail.map((r) => [r.seq, r.impactId]));
      if (image.snapshotSeq > 0) snapshots++;
      for (const [seq, impactId] of seen) {
        if (seq > image.snapshotSeq) expect(stored.get(seq), `seq ${seq}`).toBe(impactId);
      }
      // The stored log up to what the bots last saw is exactly the world they saw.
      const sawMost = before.reduce((a, b) => (b.lastSeq > a.lastSeq ? b : a));
      expect(checksumUpTo(image, sawMost.lastSeq)).toBe(sawMost.checksum);

      // Restart on the same store: joins are accepted, the world is the stored one.
      const killedAt = exit.at;
      cli = await startCli(env);
      recoveries.push(performance.now() - killedAt);
      const recovered = cli.lines.find((l) => l.msg === "zone recovered");
      expect(recovered).toMatchObject({ last_seq: image.lastSeq });
      recoverMs.push(Number(recovered!.ms));
      const report = (await (await fetch(`${cli.metricsUrl}/debug/world`)).json()) as { zone: string; committed_seq: number; snapshot_seq: number; checksum: number };
      expect(report).toMatchObject({ zone: "z0", committed_seq: image.lastSeq });
      expect(report.checksum).toBe(checksumUpTo(image, image.lastSeq));

      // The players resume where they were (at most a save interval back), with only the missed edits.
      for (let i = 0; i < BOTS; i++) {
        const prev = before[i];
        const bot = bots[i];
        await bot.waitFor(() => bot.welcome !== prev.welcome && bot.joined, 30_000);
        expect(bot.welcome!.resumed).toBe(true);
        expect(bot.welcome!.sessionId).toBe(prev.welcome.sessionId);
        expect(bot.welcome!.entityId).toBeGreaterThan(0);
        // Topped up with only the missed edits, unless a compaction folded the edits after its last seq.
        const continued = bot.continuedJoins > prev.continued;
        if (image.snapshotSeq <= prev.lastSeq) expect(continued).toBe(true);
        if (continued) continuedJoins++;
        const back = Math.hypot(bot.self.x - prev.x, bot.self.z - prev.z);
        const bound = MOVE.walkSpeed * (PLAYER_SAVE_MS + 100) / 1000 + 0.5;
        expect(back).toBeLessThan(bound);
        // A bot that walked further than that was resumed from a record saved after it walked.
        if (Math.hypot(prev.x - joinedAt[i][0], prev.z - joinedAt[i][1]) > bound + 1) walkedAndResumed++;
        expect(bot.checksum()).toBe(report.checksum);
      }
    }
    for (const b of bots) await b.close();
    cli.child.kill("SIGTERM");
    expect((await cli.exited).code).toBe(0);
    expect(continuedJoins).toBeGreaterThan(0);
    expect(walkedAndResumed).toBeGreaterThan(0);
    if (engine.name === "postgres") expect(snapshots).toBeGreaterThan(0);
    console.log(`${engine.name}: ${seen.size} carves seen over ${KILLS} kills, ${snapshots} restarts from a snapshot, ${continuedJoins} of ${KILLS * BOTS} rejoins topped up, ${walkedAndResumed} resumed after walking; kill to accepting joins ${recoveries.map((ms) => Math.round(ms)).join(", ")} ms (zone recovery ${recoverMs.join(", ")} ms)`);
  }, 180_000);
});
