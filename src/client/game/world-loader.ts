import * as Comlink from "comlink";
import { CHUNK_VOLUME } from "../../shared/voxel/constants.ts";
import { World } from "../../shared/voxel/world.ts";
import { generateWorld } from "../../shared/voxel/worldgen.ts";
import type { Destructible, WorldGenConfig } from "../../shared/voxel/worldgen.ts";
import { countFailure, createWorkerFailures, onWorkerBroken, replacementDelay } from "../workers/supervise.ts";
import type { SupervisedWorker, WorkerFailureKind, WorkerFailures } from "../workers/supervise.ts";
import type { GeneratedVoxels, WorldgenApi } from "../workers/worldgen-protocol.ts";

/** The world the client plays in, ready to mesh. */
export interface LoadedWorld {
  readonly world: World;
  readonly destructibles: readonly Destructible[];
  readonly spawn: readonly [number, number, number];
  /** Generation time (in the worker, or on this thread after every worker failed), ms. */
  readonly generateMs: number;
}

/** loadWorld knobs, all optional. */
export interface LoadWorldOptions {
  /** Counters shared with the mesher pool (GameStats.workers). */
  failures?: WorkerFailures;
  /** Starts the worldgen worker (the page's module worker; tests pass fakes). */
  spawn?: () => SupervisedWorker;
  /** One attempt's deadline, ms (default 30 s; the default world takes about 1.5 s). */
  deadlineMs?: number;
  /** Worker attempts before the world is generated on this thread instead (default 3). */
  attempts?: number;
  /** Told about each failed worker (the page reports it to crash telemetry, with consent). */
  onWorkerFailure?: (kind: WorkerFailureKind, detail: string) => void;
  /** Jitter source of the retry backoff (default Math.random). */
  random?: () => number;
}

const DEADLINE_MS = 30_000;
const ATTEMPTS = 3;

/** The page's worldgen module worker (the literal `new URL` is what Vite bundles). */
function spawnWorldgen(): SupervisedWorker {
  return new Worker(new URL("../workers/worldgen.worker.ts", import.meta.url), { type: "module", name: "worldgen" });
}

/**
 * Generates the world for `config` in a one-shot worker and copies the transferred voxels
 * into a World on this thread. Same generator and seed as the server, so both hold the same
 * voxels before any edit. A worker that fails (fires `error`, or does not answer within the
 * deadline) is counted and replaced after the backoff; when every attempt fails the world is
 * generated here, which stalls the page for a moment but lets it play.
 */
export async function loadWorld(config: WorldGenConfig, opts: LoadWorldOptions = {}): Promise<LoadedWorld> {
  const failures = opts.failures ?? createWorkerFailures();
  const attempts = opts.attempts ?? ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const outcome = await generateInWorker(config, opts.spawn ?? spawnWorldgen, opts.deadlineMs ?? DEADLINE_MS);
    if (outcome.ok) return fromVoxels(config, outcome.value);
    countFailure(failures, outcome.kind);
    console.error(`worldgen worker ${outcome.kind === "crash" ? "crashed" : "hung"} (${outcome.detail}); attempt ${attempt} of ${attempts}`);
    opts.onWorkerFailure?.(outcome.kind, outcome.detail);
    if (attempt < attempts) {
      failures.restarts++;
      await new Promise((r) => setTimeout(r, replacementDelay(attempt, opts.random ?? Math.random)));
    }
  }
  const t0 = performance.now();
  const g = generateWorld(config);
  return { world: g.world, destructibles: g.destructibles, spawn: g.spawn, generateMs: performance.now() - t0 };
}

type Attempt = { ok: true; value: GeneratedVoxels } | { ok: false; kind: WorkerFailureKind; detail: string };

/** One generation in a fresh worker, settled by its answer, its failure or the deadline; the worker is always terminated. */
function generateInWorker(config: WorldGenConfig, spawn: () => SupervisedWorker, deadlineMs: number): Promise<Attempt> {
  const worker = spawn();
  const api = Comlink.wrap<WorldgenApi>(worker);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe = (): void => {};
  return new Promise<Attempt>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, kind: "hang", detail: `no world in ${deadlineMs} ms` }), deadlineMs);
    unsubscribe = onWorkerBroken(worker, (detail) => resolve({ ok: false, kind: "crash", detail }));
    api.generate(config).then(
      (value) => resolve({ ok: true, value }),
      (err: unknown) => resolve({ ok: false, kind: "crash", detail: err instanceof Error ? err.message : String(err) }),
    );
  }).finally(() => {
    clearTimeout(timer);
    unsubscribe();
    api[Comlink.releaseProxy]();
    worker.terminate();
  });
}

/** Copies the worker's chunk-ordered voxels into a World. */
function fromVoxels(config: WorldGenConfig, g: GeneratedVoxels): LoadedWorld {
  const world = new World(config);
  const c: [number, number, number] = [0, 0, 0];
  for (let id = 0; id < world.chunkCount; id++) {
    world.chunkCoordOf(id, c);
    world.chunkData(c[0], c[1], c[2]).set(g.voxels.subarray(id * CHUNK_VOLUME, (id + 1) * CHUNK_VOLUME));
  }
  return { world, destructibles: g.destructibles, spawn: g.spawn, generateMs: g.ms };
}
