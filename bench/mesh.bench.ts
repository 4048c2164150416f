// Mesher benchmark: figures, not assertions. `npm run bench` prints a table; `npm run bench --
// --json` prints one JSON object per case and line. Options: --runs N (timed runs per case).
//
// Cases:
//   terrain       the median surface chunk (by exposed faces) of the default generated world
//   terrain_all   every non-empty chunk of that world: time per chunk, quads summed
//   carved_solid  a solid chunk (grass/dirt/stone, air above) with spherical craters carved out
//   noise50       every voxel solid with probability 1/2
import { CHUNK_SIZE, PADDED_VOLUME, paddedIndex } from "../src/shared/voxel/constants.ts";
import { Material } from "../src/shared/voxel/materials.ts";
import { Rng } from "../src/shared/voxel/rng.ts";
import { DEFAULT_WORLD_GEN, generateWorld } from "../src/shared/voxel/worldgen.ts";
import type { World } from "../src/shared/voxel/world.ts";
import { createMeshOutput, meshChunk } from "../src/shared/mesh/greedy.ts";
import { culledQuadCount, naiveQuadCount } from "../src/shared/mesh/culled.ts";

const args = process.argv.slice(2);
const json = args.includes("--json");
const runsArg = args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Math.max(1, Number(args[runsArg + 1]) || 1) : 1000;
const WARMUP = 300;

interface CaseResult {
  case: string;
  p50_ms: number;
  p95_ms: number;
  quads: number;
  naive_quads: number;
  culled_quads: number;
  naive_per_quad: number;
  culled_per_quad: number;
  runs: number;
  chunks: number;
  note: string;
}

const out = createMeshOutput();

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Times meshChunk over the given chunks, round-robin, after a warm-up. */
function measure(name: string, chunks: Uint8Array[], runs: number, note: string): CaseResult {
  for (let i = 0; i < WARMUP; i++) meshChunk(chunks[i % chunks.length], out);
  const samples = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const chunk = chunks[i % chunks.length];
    const t0 = performance.now();
    meshChunk(chunk, out);
    samples[i] = performance.now() - t0;
  }
  samples.sort();
  let quads = 0;
  let naive = 0;
  let culled = 0;
  for (const chunk of chunks) {
    quads += meshChunk(chunk, out).quadCount;
    naive += naiveQuadCount(chunk);
    culled += culledQuadCount(chunk);
  }
  return {
    case: name,
    p50_ms: round(percentile(samples, 0.5), 4),
    p95_ms: round(percentile(samples, 0.95), 4),
    quads,
    naive_quads: naive,
    culled_quads: culled,
    naive_per_quad: round(naive / Math.max(quads, 1), 2),
    culled_per_quad: round(culled / Math.max(quads, 1), 2),
    runs,
    chunks: chunks.length,
    note,
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function paddedFrom(fn: (x: number, y: number, z: number) => number): Uint8Array {
  const p = new Uint8Array(PADDED_VOLUME);
  for (let y = -1; y <= CHUNK_SIZE; y++) {
    for (let z = -1; z <= CHUNK_SIZE; z++) for (let x = -1; x <= CHUNK_SIZE; x++) p[paddedIndex(x, y, z)] = fn(x, y, z);
  }
  return p;
}

/** Padded copies of every chunk that has at least one exposed face, with its coordinate. */
function nonEmptyChunks(world: World): { padded: Uint8Array; key: string; surface: boolean; culled: number }[] {
  const list: { padded: Uint8Array; key: string; surface: boolean; culled: number }[] = [];
  const { chunksX, chunksY, chunksZ } = world.size;
  for (let cy = 0; cy < chunksY; cy++) {
    for (let cz = 0; cz < chunksZ; cz++) {
      for (let cx = 0; cx < chunksX; cx++) {
        const padded = world.fillPadded(cx, cy, cz, new Uint8Array(PADDED_VOLUME));
        const culled = culledQuadCount(padded);
        if (culled === 0) continue;
        list.push({ padded, key: `${cx},${cy},${cz}`, surface: false, culled });
      }
    }
  }
  return list;
}

function terrainCases(): CaseResult[] {
  const t0 = performance.now();
  const { world, surface } = generateWorld(DEFAULT_WORLD_GEN);
  const genMs = performance.now() - t0;
  const chunks = nonEmptyChunks(world);
  // A surface chunk holds the terrain top of at least one of its columns (not only caves).
  for (const c of chunks) {
    const [cx, cy, cz] = c.key.split(",").map(Number);
    for (let z = cz * CHUNK_SIZE; z < (cz + 1) * CHUNK_SIZE && !c.surface; z++) {
      for (let x = cx * CHUNK_SIZE; x < (cx + 1) * CHUNK_SIZE; x++) {
        if (surface[x + z * world.maxX] >> 5 === cy) {
          c.surface = true;
          break;
        }
      }
    }
  }
  const surfaceChunks = chunks.filter((c) => c.surface).sort((a, b) => a.culled - b.culled);
  const median = surfaceChunks[surfaceChunks.length >> 1];
  const size = `${DEFAULT_WORLD_GEN.chunksX}x${DEFAULT_WORLD_GEN.chunksY}x${DEFAULT_WORLD_GEN.chunksZ}`;
  return [
    measure("terrain", [median.padded], RUNS, `chunk ${median.key} of seed ${DEFAULT_WORLD_GEN.seed}, median of ${surfaceChunks.length} surface chunks`),
    measure("terrain_all", chunks.map((c) => c.padded), Math.max(RUNS, chunks.length * 4), `${chunks.length} non-empty chunks of ${size}, generated in ${genMs.toFixed(0)} ms`),
  ];
}

function carvedSolid(): Uint8Array {
  const rng = new Rng(2024);
  const craters = Array.from({ length: 8 }, () => {
    const r = rng.range(3, 9);
    return { x: rng.range(0, 31), y: rng.range(14, 34), z: rng.range(0, 31), r2: r * r };
  });
  return paddedFrom((x, y, z) => {
    if (y >= CHUNK_SIZE) return Material.Air;
    for (const c of craters) if ((x - c.x) ** 2 + (y - c.y) ** 2 + (z - c.z) ** 2 <= c.r2) return Material.Air;
    return y === CHUNK_SIZE - 1 ? Material.Grass : y >= CHUNK_SIZE - 4 ? Material.Dirt : Material.Stone;
  });
}

function noise50(): Uint8Array {
  const rng = new Rng(50);
  return paddedFrom(() => (rng.next() < 0.5 ? Material.Stone : Material.Air));
}

const results = [
  ...terrainCases(),
  measure("carved_solid", [carvedSolid()], RUNS, "8 craters, radius 3..9, air above the chunk"),
  measure("noise50", [noise50()], RUNS, "single material"),
];

if (json) {
  for (const r of results) console.log(JSON.stringify(r));
} else {
  const cols: [keyof CaseResult, string][] = [
    ["case", "case"], ["p50_ms", "p50 ms"], ["p95_ms", "p95 ms"], ["quads", "quads"], ["naive_quads", "naive"],
    ["culled_quads", "culled"], ["naive_per_quad", "naive/quads"], ["culled_per_quad", "culled/quads"],
  ];
  const rows = [cols.map(([, h]) => h), ...results.map((r) => cols.map(([k]) => String(r[k])))];
  const widths = cols.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
  console.log("");
  for (const r of results) console.log(`${r.case}: ${r.note}; ${r.runs} timed runs`);
  console.log(`node ${process.version}; goals on terrain: p50 <= 0.25 ms, naive/quads >= 40, culled/quads >= 2.5`);
}
