// Generating the zone's world on a thread of its own, so a start can do it while the tick thread
// is busy with something else: the CLI (main.ts) starts it before loading the rest of the server,
// whose modules take about as long to load as the world takes to generate, and recoverZone
// (app.ts) takes the result. It matters for recovery: kill to accepting joins.
import { Worker } from "node:worker_threads";
import { buildDestructibleIndex } from "../../shared/voxel/destructibles.ts";
import type { Destructible } from "../../shared/voxel/destructibles.ts";
import { World } from "../../shared/voxel/world.ts";
import type { GeneratedWorld, WorldGenConfig } from "../../shared/voxel/worldgen.ts";

/** See mesh/pool.ts: compiled (dist-server/) the worker is the .js beside this file; from sources it starts through tsx. */
const COMPILED = import.meta.url.endsWith(".js");

/** What the thread posts: a GeneratedWorld without its World object and index (rebuilt here). */
export interface GeneratedParts {
  /** One array per chunk, chunkId order (their buffers are transferred). */
  readonly chunks: readonly Uint8Array[];
  readonly surface: Int16Array;
  readonly destructibles: readonly Destructible[];
  readonly spawn: readonly [number, number, number];
}

/** A world being generated on its thread for `config`. */
export interface PendingWorld {
  readonly config: WorldGenConfig;
  /** The generated world; rejects if the thread failed (the caller then generates it itself). */
  readonly world: Promise<GeneratedWorld>;
}

/** Starts generating `config`'s world on a new thread. */
export function generateWorldOnThread(config: WorldGenConfig): PendingWorld {
  const plain: WorldGenConfig = { seed: config.seed, chunksX: config.chunksX, chunksY: config.chunksY, chunksZ: config.chunksZ };
  const worker = COMPILED
    ? new Worker(new URL("./worldgen.worker.js", import.meta.url), { workerData: plain })
    : new Worker(new URL("../mesh/worker-bootstrap.mjs", import.meta.url), {
      workerData: { ...plain, entry: new URL("./worldgen.worker.ts", import.meta.url).href },
    });
  const world = new Promise<GeneratedWorld>((resolve, reject) => {
    worker.once("message", (p: GeneratedParts) => {
      try {
        const size = { chunksX: plain.chunksX, chunksY: plain.chunksY, chunksZ: plain.chunksZ };
        resolve({ world: new World(size, p.chunks), destructibles: p.destructibles, index: buildDestructibleIndex(p.destructibles, size), spawn: p.spawn, surface: p.surface });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`world generation thread exited with code ${code}`)));
  });
  // Nobody may be waiting yet; a failure is reported to whoever takes the world.
  world.catch(() => {});
  return { config: plain, world };
}
