// The Store contract, run against every engine: a SQLite file in a temporary directory, a real
// PostgreSQL cluster started by the harness on loopback, and memory. Append and read back,
// idempotent retries, compaction equivalence (snapshot plus tail gives the checksum of the full
// log), player records, the world identity check, and a second writer refused or fenced.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeEdit, EDIT_FORMAT, foldCompaction, PLAYER_FORMAT, replayImage } from "../../../src/server/store/format.ts";
import { openZoneStore, StoreOpenError } from "../../../src/server/store/index.ts";
import { MemoryStoreHost } from "../../../src/server/store/memory.ts";
import type { StoreSpec } from "../../../src/server/store/index.ts";
import type { ChunkRow, EditRow, StoreOptions, WorldIdentity, ZoneImage, ZoneStore } from "../../../src/server/store/types.ts";
import { FencedError } from "../../../src/server/store/types.ts";
import { createVoxelSet, voxelSetFromCarve } from "../../../src/shared/protocol/voxelset.ts";
import { ByteWriter } from "../../../src/shared/protocol/writer.ts";
import { applyVoxelSet } from "../../../src/shared/voxel/apply-set.ts";
import { CarveResult, carveSphere } from "../../../src/shared/voxel/carve.ts";
import { worldChecksum } from "../../../src/shared/voxel/checksum.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { generateWorld } from "../../../src/shared/voxel/worldgen.ts";
import { startPostgres } from "./postgres.ts";
import type { TestPostgres } from "./postgres.ts";

const WORLD: WorldIdentity = { seed: 777, chunksX: 4, chunksY: 2, chunksZ: 4 };

/**
 * `n` edits as rows seq from..from+n-1, applied to `carved` as they are made: mostly carves at
 * random points, and every fourth a box of brick or glass built over the last carve (so a voxel
 * changes material more than once and the fold must keep the latest).
 */
function makeEdits(from: number, n: number, rng: Rng, carved = generateWorld(WORLD).world): EditRow[] {
  const carve = new CarveResult();
  const set = createVoxelSet();
  const w = new ByteWriter(512);
  const rows: EditRow[] = [];
  let last = [0, 0, 0];
  while (rows.length < n) {
    if (rows.length % 4 === 3) {
      const [bx, by, bz] = last;
      const fill = { material: rng.next() < 0.5 ? Material.Brick : Material.Glass, minX: bx, minY: by, minZ: bz, sizeX: 3, sizeY: 3, sizeZ: 2, mask: Uint8Array.of(0xff, 0xfe, 0x03) };
      applyVoxelSet(carved, fill, null);
      Object.assign(set, fill);
    } else {
      const x = rng.next() * carved.maxX, z = rng.next() * carved.maxZ, y = 8 + rng.next() * (carved.maxY - 16);
      if (carveSphere(carved, x, y, z, 1.5 + rng.next() * 3, carve) === 0 || !voxelSetFromCarve(carve, Material.Air, set)) continue;
      last = [Math.max(0, Math.floor(x) - 1), Math.max(0, Math.floor(y) - 1), Math.max(0, Math.floor(z) - 1)];
    }
    const seq = from + rows.length;
    rows.push({ seq, tick: seq * 3, impactId: (seq * 2654435761) >>> 0 || 1, format: EDIT_FORMAT, data: encodeEdit(w, set) });
  }
  return rows;
}

/** Checksum of the world the image describes. */
function imageChecksum(image: Pick<ZoneImage, "chunks" | "tail">): number {
  const world = generateWorld(WORLD).world;
  replayImage(world, image);
  return worldChecksum(world);
}

function bytes(b: Uint8Array): number[] {
  return [...b];
}

interface Engine {
  readonly name: string;
  spec(): StoreSpec;
  options?: StoreOptions;
  /** Opens a zone (default: openZoneStore with spec()). */
  open?(zone: string, world: WorldIdentity): ZoneStore;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

let pgServer: TestPostgres | null = null;
let sqliteDir = "";
const ENGINES: Engine[] = [
  {
    name: "sqlite",
    spec: () => ({ backend: "sqlite", dir: sqliteDir }),
    setup: async () => {
      sqliteDir = mkdtempSync(join(tmpdir(), "voxel-store-"));
    },
    teardown: async () => rmSync(sqliteDir, { recursive: true, force: true }),
  },
  {
    name: "postgres",
    spec: () => ({ backend: "postgres", url: pgServer!.url }),
    options: { leaseMs: 1500, leaseRenewMs: 300, claimTimeoutMs: 5000 },
    setup: async () => {
      pgServer = await startPostgres();
    },
    teardown: async () => pgServer?.stop(),
  },
  // STORE=memory starts every open empty; one host keeps the zones across reopens here.
  { name: "memory", spec: () => ({ backend: "memory" }), open: (zone, world) => memoryHost.openZone(zone, world) },
];
const memoryHost = new MemoryStoreHost();

describe.each(ENGINES)("Store contract on $name", (engine) => {
  let zoneN = 0;
  const open: ZoneStore[] = [];
  const openZone = async (zone: string, world: WorldIdentity = WORLD, options: StoreOptions | undefined = engine.options): Promise<ZoneStore> => {
    const s = engine.open !== undefined ? engine.open(zone, world) : await openZoneStore(engine.spec(), zone, world, options);
    open.push(s);
    return s;
  };
  const freshZone = (): string => `z${++zoneN}`;

  beforeAll(async () => {
    await engine.setup?.();
  }, 60_000);
  afterAll(async () => {
    for (const s of open) await s.close();
    await engine.teardown?.();
  });

  it("creates an empty zone with a log base, then reads back every append in order after a reopen", async () => {
    const zone = freshZone();
    const a = await openZone(zone);
    expect(a.image).toMatchObject({ snapshotSeq: 0, lastSeq: 0, chunks: [], tail: [], players: [] });
    expect(a.image.logBase).toBeGreaterThan(0);
    const rows = makeEdits(1, 40, new Rng(1));
    // append resolves with the engine's own time for the commit: within what the caller waited.
    const t0 = performance.now();
    const engineMs = await a.append(rows.slice(0, 15));
    expect(engineMs).toBeGreaterThanOrEqual(0);
    expect(engineMs).toBeLessThanOrEqual(performance.now() - t0);
    await a.append(rows.slice(15));
    // A retried batch (the reply was lost) is stored once.
    await a.append(rows.slice(15, 20));
    await a.close();

    const b = await openZone(zone);
    expect(b.image.logBase).toBe(a.image.logBase);
    expect(b.image.lastSeq).toBe(40);
    expect(b.image.tail.map((r) => [r.seq, r.tick, r.impactId, r.format])).toEqual(rows.map((r) => [r.seq, r.tick, r.impactId, r.format]));
    expect(b.image.tail.map((r) => bytes(r.data))).toEqual(rows.map((r) => bytes(r.data)));
    await b.close();
  });

  it("compaction: the snapshot plus the tail gives the checksum of the full log, across two compactions", async () => {
    const zone = freshZone();
    const rng = new Rng(7);
    const carved = generateWorld(WORLD).world;
    const all = makeEdits(1, 120, rng, carved);
    const fullLog = (n: number): number => imageChecksum({ chunks: [], tail: all.slice(0, n) });
    const s1 = await openZone(zone);
    await s1.append(all.slice(0, 80));
    const c1 = foldCompaction(WORLD, () => undefined, all.slice(0, 60), 60);
    expect(c1.chunks.length).toBeGreaterThan(4);
    expect(await s1.compact(c1)).toEqual({ chunksWritten: c1.chunks.length, editsDeleted: 60 });
    await s1.close();

    const s2 = await openZone(zone);
    expect(s2.image.snapshotSeq).toBe(60);
    expect(s2.image.tail.map((r) => r.seq)).toEqual(all.slice(60, 80).map((r) => r.seq));
    expect(imageChecksum(s2.image)).toBe(fullLog(80));
    // The second compaction folds over the first snapshot's rows.
    await s2.append(all.slice(80));
    const prev = new Map<number, ChunkRow>(s2.image.chunks.map((c) => [c.chunkId, c]));
    const c2 = foldCompaction(WORLD, (id) => prev.get(id), [...s2.image.tail, ...all.slice(80)], 110);
    await s2.compact(c2);
    await s2.close();

    const s3 = await openZone(zone);
    expect(s3.image).toMatchObject({ snapshotSeq: 110, lastSeq: 120 });
    expect(s3.image.tail.map((r) => r.seq)).toEqual(all.slice(110).map((r) => r.seq));
    expect(imageChecksum(s3.image)).toBe(fullLog(120));
    expect(imageChecksum(s3.image)).toBe(worldChecksum(carved));
    expect(imageChecksum(s3.image)).not.toBe(fullLog(119));
    await s3.close();
  });

  it("saves, replaces and deletes player records keyed by token hash", async () => {
    const zone = freshZone();
    const s = await openZone(zone);
    const key = (b: number): Uint8Array => new Uint8Array(32).fill(b);
    await s.savePlayers([{ key: key(1), format: PLAYER_FORMAT, data: Uint8Array.of(1, 2), savedAtMs: 1000 }, { key: key(2), format: PLAYER_FORMAT, data: Uint8Array.of(3), savedAtMs: 1001 }], []);
    await s.savePlayers([{ key: key(1), format: PLAYER_FORMAT, data: Uint8Array.of(9), savedAtMs: 2000 }], [key(2)]);
    await s.close();
    const r = await openZone(zone);
    expect(r.image.players.map((p) => ({ key: bytes(p.key), data: bytes(p.data), at: p.savedAtMs }))).toEqual([{ key: bytes(key(1)), data: [9], at: 2000 }]);
    await r.close();
  });

  it("refuses a zone that holds another world, naming the setting", async () => {
    const zone = freshZone();
    await (await openZone(zone)).close();
    const err = await openZone(zone, { ...WORLD, seed: WORLD.seed + 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as Error).message).toMatch(/^STORE: .*seed 777.*WORLD_SEED/);
  });

  it("keeps a second writer out: refused while the owner is alive, or fenced once another claimed the zone", async () => {
    const zone = freshZone();
    // On PostgreSQL the owner renews rarely here: a renewal reconnects the lease session and
    // re-takes the advisory lock, and one racing the claim below would (rightly) keep the zone.
    const owner = await openZone(zone, WORLD, engine.name === "postgres" ? { ...engine.options, leaseRenewMs: 60_000 } : engine.options);
    await owner.append(makeEdits(1, 3, new Rng(3)));
    if (engine.name !== "postgres") {
      const err = await openZone(zone).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreOpenError);
      expect((err as Error).message).toMatch(/^STORE: /);
      // The owner still writes.
      await owner.append(makeEdits(4, 1, new Rng(4)));
      return;
    }
    // Cut the owner's lease session, as a partition would: its advisory lock goes with it and a
    // new process claims the zone at once with the next epoch.
    const fenced = new Promise<FencedError>((resolve) => owner.onFenced(resolve));
    const cut = await pgServer!.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1", [`voxel lease ${zone}`]);
    expect(cut).toEqual([{ ok: true }]);
    const next = await openZone(zone);
    expect(next.epoch).toBe(owner.epoch + 1);
    expect(next.image.lastSeq).toBe(3);
    const err = await owner.append(makeEdits(4, 1, new Rng(5))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FencedError);
    expect((await fenced).epoch).toBe(owner.epoch);
    await next.append(makeEdits(4, 2, new Rng(6)));
    const rows = await pgServer!.query<{ seq: string; epoch: string }>("SELECT seq, epoch FROM world_edits WHERE zone = $1 ORDER BY seq", [zone]);
    expect(rows.map((r) => [Number(r.seq), Number(r.epoch)])).toEqual([[1, owner.epoch], [2, owner.epoch], [3, owner.epoch], [4, next.epoch], [5, next.epoch]]);
  });
});
