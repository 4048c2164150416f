// Zone recovery benchmark: `npm run bench:replay -- [--store sqlite|postgres|both] [--edits N] [--runs N]`.
// Builds a zone in a real store the way a long game would leave it: a snapshot touching every
// chunk of the default world (1,024 chunks: 16x4x16) and a tail of N carves after it (default
// 10,000), then times what a restart does, best of --runs (default 3):
//   load     open and claim the zone, read the snapshot, the tail and the player records;
//   world    generate the world, replay snapshot and tail onto it, build every collider
//            (new Game(config, image): what startServer does before it listens);
//   replay   the replay alone, on a freshly generated world.
// PostgreSQL runs in a cluster started on loopback for the run (test/server/store/postgres.ts).
// A benchmark: it prints figures (the goal: the replay of 1,024 chunks plus 10,000 edits
// within 1.5 s) and never fails on them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveServerConfig } from "../src/server/config.ts";
import { Game, worldIdentity } from "../src/server/game/state.ts";
import { EDIT_FORMAT, encodeEdit, foldCompaction, replayImage } from "../src/server/store/format.ts";
import { openZoneStore } from "../src/server/store/index.ts";
import type { StoreSpec } from "../src/server/store/index.ts";
import type { EditRow } from "../src/server/store/types.ts";
import { createVoxelSet, voxelSetFromCarve } from "../src/shared/protocol/voxelset.ts";
import { ByteWriter } from "../src/shared/protocol/writer.ts";
import { CarveResult, carveSphere } from "../src/shared/voxel/carve.ts";
import { worldChecksum } from "../src/shared/voxel/checksum.ts";
import { CHUNK_SIZE } from "../src/shared/voxel/constants.ts";
import { Material } from "../src/shared/voxel/materials.ts";
import { Rng } from "../src/shared/voxel/rng.ts";
import { generateWorld } from "../src/shared/voxel/worldgen.ts";
import { startPostgres } from "../test/server/store/postgres.ts";

const config = resolveServerConfig({ store: "memory" });
const identity = worldIdentity(config);

function parseArgs(argv: string[]): { stores: ("sqlite" | "postgres")[]; edits: number; runs: number } {
  const a = { stores: ["sqlite"] as ("sqlite" | "postgres")[], edits: 10_000, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[++i];
    if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
    if (argv[i - 1] === "--store") a.stores = v === "both" ? ["sqlite", "postgres"] : v === "sqlite" || v === "postgres" ? [v] : [];
    else if (argv[i - 1] === "--edits") a.edits = Math.max(0, Math.min(1_000_000, Math.round(Number(v))));
    else if (argv[i - 1] === "--runs") a.runs = Math.max(1, Math.min(20, Math.round(Number(v))));
    else throw new Error(`unknown option ${argv[i - 1]}`);
    if (a.stores.length === 0) throw new Error("--store must be sqlite, postgres or both");
  }
  return a;
}

/** The snapshot's edits (a brick box in every chunk, so all 1,024 are touched) and `tail` carves after them. */
function makeLog(tail: number): { snapshot: EditRow[]; tail: EditRow[] } {
  const rng = new Rng(99);
  const world = generateWorld(identity).world;
  const w = new ByteWriter(1024);
  const set = createVoxelSet();
  const rows: EditRow[] = [];
  const push = (): void => {
    const seq = rows.length + 1;
    rows.push({ seq, tick: seq, impactId: seq, format: EDIT_FORMAT, data: encodeEdit(w, set) });
  };
  for (let cz = 0; cz < identity.chunksZ; cz++) for (let cy = 0; cy < identity.chunksY; cy++) for (let cx = 0; cx < identity.chunksX; cx++) {
    Object.assign(set, { material: Material.Brick, minX: cx * CHUNK_SIZE + 4, minY: cy * CHUNK_SIZE + 4, minZ: cz * CHUNK_SIZE + 4, sizeX: 3, sizeY: 3, sizeZ: 2, mask: Uint8Array.of(0xff, 0xff, 0x03) });
    push();
  }
  const snapshot = rows.length;
  const carve = new CarveResult();
  while (rows.length < snapshot + tail) {
    const x = rng.next() * world.maxX, z = rng.next() * world.maxZ, y = 8 + rng.next() * 40;
    if (carveSphere(world, x, y, z, 2 + rng.next() * 2, carve) === 0 || !voxelSetFromCarve(carve, Material.Air, set)) continue;
    push();
  }
  return { snapshot: rows.slice(0, snapshot), tail: rows.slice(snapshot) };
}

async function writeZone(spec: StoreSpec, log: { snapshot: EditRow[]; tail: EditRow[] }): Promise<void> {
  const s = await openZoneStore(spec, config.zone, identity);
  const all = [...log.snapshot, ...log.tail];
  for (let i = 0; i < log.snapshot.length; i += 1000) await s.append(log.snapshot.slice(i, i + 1000));
  const upto = log.snapshot[log.snapshot.length - 1].seq;
  await s.compact(foldCompaction(identity, () => undefined, log.snapshot, upto));
  for (let i = log.snapshot.length; i < all.length; i += 1000) await s.append(all.slice(i, i + 1000));
  await s.close();
}

async function measure(spec: StoreSpec): Promise<{ load: number; world: number; replay: number; chunks: number; edits: number; checksum: number }> {
  let t = performance.now();
  const s = await openZoneStore(spec, config.zone, identity);
  const load = performance.now() - t;
  const image = s.image;
  await s.close();
  t = performance.now();
  const game = new Game(config, image);
  const world = performance.now() - t;
  const fresh = generateWorld(identity).world;
  t = performance.now();
  replayImage(fresh, image);
  const replay = performance.now() - t;
  if (worldChecksum(fresh) !== worldChecksum(game.world)) throw new Error("replays disagree");
  return { load, world, replay, chunks: image.chunks.length, edits: image.tail.length, checksum: worldChecksum(fresh) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = makeLog(args.edits);
  for (const store of args.stores) {
    const dir = store === "sqlite" ? mkdtempSync(join(tmpdir(), "voxel-replay-")) : "";
    const pg = store === "postgres" ? await startPostgres() : null;
    try {
      const spec: StoreSpec = pg !== null ? { backend: "postgres", url: pg.url } : { backend: "sqlite", dir };
      await writeZone(spec, log);
      const runs: Awaited<ReturnType<typeof measure>>[] = [];
      for (let i = 0; i < args.runs; i++) runs.push(await measure(spec));
      const best = (k: "load" | "world" | "replay"): number => Math.min(...runs.map((r) => r[k]));
      const r = runs[0];
      console.log(`replay [${store}]: ${r.chunks} snapshot chunks + ${r.edits} tail edits, best of ${args.runs}: ` +
        `load ${best("load").toFixed(0)} ms, world (generate + replay + colliders) ${best("world").toFixed(0)} ms, replay alone ${best("replay").toFixed(0)} ms ` +
        `(goal: replay within 1500 ms), checksum ${r.checksum}`);
    } finally {
      await pg?.stop();
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
