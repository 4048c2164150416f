// A thread that generates one world (generateWorld, deterministic in its config) and hands it
// back: the chunks' and the surface's buffers are transferred, not copied. See worldgen-thread.ts.
import { parentPort, workerData } from "node:worker_threads";
import { generateWorld } from "../../shared/voxel/worldgen.ts";
import type { WorldGenConfig } from "../../shared/voxel/worldgen.ts";
import type { GeneratedParts } from "./worldgen-thread.ts";

const g = generateWorld(workerData as WorldGenConfig);
const chunks = g.world.chunkArrays();
const parts: GeneratedParts = { chunks, surface: g.surface, destructibles: g.destructibles, spawn: g.spawn };
parentPort?.postMessage(parts, [...chunks.map((c) => c.buffer as ArrayBuffer), g.surface.buffer as ArrayBuffer]);
