// WorldSync: the first join generates the world and replays the server's edits; carves apply
// as they come (queued while a join is in progress, skipped when the join already had them); a
// rejoin that the server continues (same log, from this page's last seq) applies only the edits
// this page missed, and any other rejoin regenerates and copies the differing chunks into the
// same World object. Without a loader (load bots) it keeps
// no world and still reports every carve.
import { describe, expect, it } from "vitest";
import { WorldSync } from "../../../src/client/net/world-sync.ts";
import type { WorldLoader, WorldSyncEvents } from "../../../src/client/net/world-sync.ts";
import {
  createSelfState,
  createVoxelSet,
  EntityFrame,
  PROTOCOL_VERSION,
  ProjectileFrame,
  ServerMsg,
  voxelSetFromCarve,
} from "../../../src/shared/protocol/index.ts";
import type { CarveMsg, SnapshotMsg, VoxelSet, WelcomeMsg, WorldEditsMsg } from "../../../src/shared/protocol/index.ts";
import { CarveResult, carveSphere } from "../../../src/shared/voxel/carve.ts";
import { MaterialTally } from "../../../src/client/game/material-tally.ts";
import { worldChecksum } from "../../../src/shared/voxel/checksum.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import type { World } from "../../../src/shared/voxel/world.ts";
import { generateWorld } from "../../../src/shared/voxel/worldgen.ts";
import type { WorldGenConfig } from "../../../src/shared/voxel/worldgen.ts";

const CONFIG: WorldGenConfig = { seed: 4242, chunksX: 2, chunksY: 2, chunksZ: 2 };

/** The server side of the story: a world and its edit log (set i has seq i + 1). */
class ServerWorld {
  readonly world: World;
  readonly sets: VoxelSet[] = [];
  /** The log's identity (another one after a "restart" with lost edits). */
  constructor(readonly config: WorldGenConfig = CONFIG, readonly logBase = 11) {
    this.world = generateWorld(config).world;
  }
  /** The material most of the last crater's voxels were. */
  lastMaterial = 0;
  private readonly carve = new CarveResult();

  /** Carves a crater at (x, y, z) and returns its edit set. */
  crater(x: number, y: number, z: number, r = 2.5): VoxelSet {
    carveSphere(this.world, x, y, z, r, this.carve);
    const tally = new MaterialTally();
    for (let i = 0; i < this.carve.count; i++) tally.add(this.carve.oldMaterial[i]);
    this.lastMaterial = tally.top();
    const set = createVoxelSet();
    if (!voxelSetFromCarve(this.carve, Material.Air, set)) throw new Error("empty crater");
    this.sets.push(set);
    return set;
  }
}

function welcome(config: WorldGenConfig = CONFIG, log = { logBase: 11, baseSeq: 0, lastSeq: 0 }): WelcomeMsg {
  return {
    type: ServerMsg.Welcome, version: PROTOCOL_VERSION, sessionId: "0".repeat(32), resumeToken: "1".repeat(32), resumed: false, entityId: 1,
    tickHz: 30, tick: 1, seed: config.seed, chunksX: config.chunksX, chunksY: config.chunksY, chunksZ: config.chunksZ,
    spawnX: 32, spawnY: 31, spawnZ: 32, spawnYaw: 0, interestRadius: 64, weaponCooldownMs: 250, projectileSpeed: 80,
    projectileLifetimeMs: 1500, zone: "z0", shard: "s0", callsign: "Calm Heron 12", team: 1, maxHealth: 100, respawnMs: 3000, ...log,
  };
}

function edits(sets: VoxelSet[]): WorldEditsMsg {
  return { type: ServerMsg.WorldEdits, sets: sets.slice() };
}

function snapshot(editSets: number): SnapshotMsg {
  return { type: ServerMsg.Snapshot, tick: 1, editSets, self: createSelfState(), entities: new EntityFrame(), projectiles: new ProjectileFrame() };
}

function carveMsg(set: VoxelSet, impactId: number, seq = impactId): CarveMsg {
  return { type: ServerMsg.Carve, seq, impactId, commandId: null, shooterId: 1, did: 0, projectileId: 1, tick: 2, cx: 0, cy: 0, cz: 0, radius: 2.5, voxels: set };
}

/** A loader counting its calls; `gate` holds results back until released. */
function loader(gate = false) {
  const calls: WorldGenConfig[] = [];
  const waiting: (() => void)[] = [];
  const load: WorldLoader = (config) => {
    calls.push(config);
    const world = generateWorld(config).world;
    if (!gate) return Promise.resolve(world);
    return new Promise<World>((resolve) => waiting.push(() => resolve(world)));
  };
  return { load, calls, release: () => waiting.splice(0).forEach((f) => f()) };
}

function recorder() {
  const log = { carves: [] as { impactId: number; changed: number; dirty: number[]; material: number }[], resyncs: [] as number[][], incompatible: 0, failed: [] as unknown[] };
  const events: WorldSyncEvents = {
    carve: (m, dirty, changed, material) => log.carves.push({ impactId: m.impactId, changed, dirty: Array.from(dirty.ids.subarray(0, dirty.count)), material }),
    resync: (dirty) => log.resyncs.push(Array.from(dirty.ids.subarray(0, dirty.count))),
    incompatible: () => log.incompatible++,
    failed: (err) => log.failed.push(err),
  };
  return { log, events };
}

/**
 * Runs a whole join sequence as the server would and waits for it to be applied: the edits
 * after the page's last seq when it follows this server's log, else all of them.
 */
async function joinWith(sync: WorldSync, server: ServerWorld): Promise<void> {
  const from = sync.logBase === server.logBase && sync.lastSeq > 0 ? sync.lastSeq : 0;
  const sets = server.sets.slice(from);
  sync.welcome(welcome(server.config, { logBase: server.logBase, baseSeq: from, lastSeq: server.sets.length }));
  sync.worldEdits(edits(sets));
  sync.snapshot(snapshot(sets.length));
  while (sync.busy) await new Promise((r) => setTimeout(r, 1));
}

describe("WorldSync", () => {
  it("first join: generates from the welcome, replays the edits, then applies carves as they come", async () => {
    const server = new ServerWorld();
    server.crater(30, 28, 30);
    server.crater(40, 29, 36);
    const { load, calls } = loader();
    const { log, events } = recorder();
    const sync = new WorldSync(load, events);
    sync.welcome(welcome(CONFIG, { logBase: 11, baseSeq: 0, lastSeq: 2 }));
    // Generation starts at the welcome, overlapping the edit download.
    expect(calls).toHaveLength(1);
    expect(sync.busy).toBe(true);
    sync.worldEdits(edits(server.sets));
    sync.snapshot(snapshot(2));
    const world = await sync.ready;
    expect(sync.world).toBe(world);
    expect(worldChecksum(world)).toBe(worldChecksum(server.world));
    expect(log.resyncs).toEqual([[]]);
    expect(sync.stats.editSets).toBe(2);
    expect([sync.logBase, sync.lastSeq]).toEqual([11, 2]);

    const set = server.crater(20, 28, 44);
    sync.carve(carveMsg(set, 77, 3));
    expect(sync.lastSeq).toBe(3);
    expect(worldChecksum(world)).toBe(worldChecksum(server.world));
    expect(log.carves).toHaveLength(1);
    expect(log.carves[0].impactId).toBe(77);
    expect(log.carves[0].changed).toBeGreaterThan(10);
    expect(log.carves[0].dirty).toContain(world.chunkId(0, 0, 1));
    // The event names what the crater removed (read before the voxels became air), for the debris.
    expect(server.lastMaterial).not.toBe(Material.Air);
    expect(log.carves[0].material).toBe(server.lastMaterial);
  });

  it("carves that arrive while the join is being applied are applied after it, in order", async () => {
    const server = new ServerWorld();
    server.crater(30, 28, 30);
    const { load, release } = loader(true);
    const { log, events } = recorder();
    const sync = new WorldSync(load, events);
    sync.welcome(welcome(CONFIG, { logBase: 11, baseSeq: 0, lastSeq: 1 }));
    sync.worldEdits(edits(server.sets));
    sync.snapshot(snapshot(1));
    // The same spot twice: the second carve must come second to change nothing.
    const a = server.crater(31, 28, 30);
    const b = server.crater(31, 28, 30, 3.5);
    sync.carve(carveMsg(a, 1, 2));
    sync.carve(carveMsg(b, 2, 3));
    expect(log.carves).toHaveLength(0);
    release();
    const world = await sync.ready;
    expect(log.carves.map((c) => c.impactId)).toEqual([1, 2]);
    expect(sync.lastSeq).toBe(3);
    expect(worldChecksum(world)).toBe(worldChecksum(server.world));
  });

  it("a rejoin that only missed some carves applies just those, without regenerating", async () => {
    const server = new ServerWorld();
    server.crater(30, 28, 30);
    const { load, calls } = loader();
    const { log, events } = recorder();
    const sync = new WorldSync(load, events);
    await joinWith(sync, server);
    const world = sync.world!;
    // Carved while this client was away.
    server.crater(12, 28, 50);
    await joinWith(sync, server);
    expect(calls).toHaveLength(1);
    expect(sync.world).toBe(world);
    expect(sync.stats.tailJoins).toBe(1);
    expect(worldChecksum(world)).toBe(worldChecksum(server.world));
    const dirty = log.resyncs.at(-1)!;
    expect(dirty).toContain(world.chunkId(0, 0, 1));
    expect(dirty).not.toContain(world.chunkId(1, 1, 0));
    expect(sync.lastSeq).toBe(2);
  });

  it("a carve the join already held is skipped, and later ones apply", async () => {
    const server = new ServerWorld();
    const { load } = loader();
    const { log, events } = recorder();
    const sync = new WorldSync(load, events);
    const first = server.crater(30, 28, 30);
    await joinWith(sync, server);
    const world = sync.world!;
    // A carve broadcast that raced the join: its seq is not after the join's last.
    sync.carve(carveMsg(first, 5, 1));
    expect(log.carves).toHaveLength(0);
    expect(sync.stats.duplicateCarves).toBe(1);
    sync.carve(carveMsg(server.crater(31, 28, 31, 3.5), 6, 2));
    expect(log.carves.map((c) => c.impactId)).toEqual([6]);
    expect(worldChecksum(world)).toBe(worldChecksum(server.world));
  });

  it("a rejoin to a server that lost or changed its edits regenerates and copies the differing chunks into the same World", async () => {
    const first = new ServerWorld();
    first.crater(30, 28, 30);
    first.crater(50, 28, 50);
    const { load, calls } = loader();
    const { log, events } = recorder();
    const sync = new WorldSync(load, events);
    await joinWith(sync, first);
    const world = sync.world!;
    // The server restarted with another log (its store was wiped): one different crater only.
    const restarted = new ServerWorld(CONFIG, 12);
    restarted.crater(10, 28, 10);
    await joinWith(sync, restarted);
    expect(calls).toHaveLength(2);
    expect(sync.world).toBe(world);
    expect(sync.stats.rebuilds).toBe(2);
    expect(sync.stats.chunksReplaced).toBeGreaterThan(0);
    expect(worldChecksum(world)).toBe(worldChecksum(restarted.world));
    // Chunks with the old craters and the new one, and their neighbours, are re-meshed.
    const dirty = log.resyncs.at(-1)!;
    expect(dirty).toContain(world.chunkId(0, 0, 0));
    expect(dirty).toContain(world.chunkId(1, 0, 1));
  });

  it("a new seed of the same size is generated afresh; another size cannot be followed", async () => {
    const server = new ServerWorld();
    const { load, calls } = loader();
    const { log, events } = recorder();
    const sync = new WorldSync(load, events);
    await joinWith(sync, server);
    const reseeded = new ServerWorld({ ...CONFIG, seed: 99 });
    reseeded.crater(30, 28, 30);
    await joinWith(sync, reseeded);
    expect(calls.map((c) => c.seed)).toEqual([4242, 99]);
    expect(worldChecksum(sync.world!)).toBe(worldChecksum(reseeded.world));

    sync.welcome(welcome({ ...CONFIG, chunksX: 3 }));
    expect(log.incompatible).toBe(1);
    expect(calls).toHaveLength(2);
  });

  it("a join superseded by a newer welcome is discarded when its world arrives late", async () => {
    const a = new ServerWorld();
    a.crater(30, 28, 30);
    const { load, release } = loader(true);
    const { events } = recorder();
    const sync = new WorldSync(load, events);
    sync.welcome(welcome(CONFIG, { logBase: 11, baseSeq: 0, lastSeq: 1 }));
    sync.worldEdits(edits(a.sets));
    sync.snapshot(snapshot(1));
    // The connection dropped before the world was ready; the next join has more edits.
    a.crater(40, 28, 40);
    sync.welcome(welcome(CONFIG, { logBase: 11, baseSeq: 0, lastSeq: 2 }));
    sync.worldEdits(edits(a.sets));
    sync.snapshot(snapshot(2));
    release();
    const world = await sync.ready;
    expect(worldChecksum(world)).toBe(worldChecksum(a.world));
    expect(sync.stats.editSets).toBe(2);
  });

  it("a failed first generation rejects `ready`", async () => {
    const { events, log } = recorder();
    const sync = new WorldSync(() => Promise.reject(new Error("worker died")), events);
    sync.welcome(welcome());
    sync.snapshot(snapshot(0));
    await expect(sync.ready).rejects.toThrow("worker died");
    expect(log.failed).toEqual([]);
  });

  it("without a loader keeps no world, completes joins at their snapshot and reports every carve in order", () => {
    const server = new ServerWorld();
    server.crater(30, 28, 30);
    const { log, events } = recorder();
    const sync = new WorldSync(null, events);
    sync.welcome(welcome());
    sync.worldEdits(edits(server.sets));
    // A carve during the join waits for it, as with a world.
    sync.carve(carveMsg(server.crater(40, 29, 36), 5));
    expect(log.carves).toEqual([]);
    sync.snapshot(snapshot(1));
    expect(sync.busy).toBe(false);
    expect(sync.world).toBeNull();
    expect(log.resyncs).toEqual([[]]);
    sync.carve(carveMsg(server.crater(20, 28, 44), 6));
    expect(log.carves).toEqual([
      { impactId: 5, changed: 0, dirty: [], material: 0 },
      { impactId: 6, changed: 0, dirty: [], material: 0 },
    ]);
    expect(sync.stats.editSets).toBe(3);
    // A rejoin counts the server's edits afresh.
    sync.welcome(welcome());
    sync.worldEdits(edits(server.sets));
    sync.snapshot(snapshot(3));
    expect(sync.stats.editSets).toBe(3);
    expect(log.incompatible).toBe(0);
  });
});
