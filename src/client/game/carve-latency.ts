import type { DirtyChunks } from "../../shared/voxel/carve.ts";

/** Carve-to-screen times, mutated in place (the automation hook and the carve bench read them). */
export interface CarveLatencyStats {
  /** Ring buffer of recent samples, ms from a carve applied to its re-meshed chunks drawn. */
  readonly recentMs: Float64Array;
  /** Samples ever written; the next goes to index count % recentMs.length. */
  count: number;
  /** Carves still waiting for their chunks. */
  pending: number;
}

interface PendingCarve {
  readonly t0: number;
  readonly ids: number[];
}

/**
 * Measures the time from a carve being applied to the world (`carved`) until every chunk it
 * dirtied that is in view has its new mesh uploaded and a frame drawn with it has finished on
 * the GPU: meshing in the workers, the upload and the frame itself. A carve's bookkeeping is
 * allocated once per carve; checking is per frame and allocation-free.
 */
export class CarveLatency {
  readonly stats: CarveLatencyStats = { recentMs: new Float64Array(256), count: 0, pending: 0 };
  private readonly pending: PendingCarve[] = [];

  constructor(
    /** True when the chunk's latest mesh is drawn (or it is out of view and never will be). */
    private readonly isDrawn: (chunkId: number) => boolean,
    /** Resolves when the GPU has finished the work submitted so far. */
    private readonly gpuDone: () => Promise<void>,
  ) {}

  /** A carve was applied at `now` (performance.now() ms) and dirtied these chunks. */
  carved(dirty: DirtyChunks, now: number): void {
    this.pending.push({ t0: now, ids: Array.from(dirty.ids.subarray(0, dirty.count)) });
    this.stats.pending = this.pending.length;
  }

  /** Call after each rendered frame: carves whose chunks were all drawn in it complete when the GPU is done. */
  afterFrame(): void {
    const p = this.pending;
    for (let i = 0; i < p.length; ) {
      if (!this.allDrawn(p[i].ids)) {
        i++;
        continue;
      }
      const t0 = p[i].t0;
      p.splice(i, 1);
      const record = (): void => this.record(performance.now() - t0);
      this.gpuDone().then(record, record);
    }
    this.stats.pending = p.length;
  }

  private allDrawn(ids: readonly number[]): boolean {
    for (const id of ids) if (!this.isDrawn(id)) return false;
    return true;
  }

  private record(ms: number): void {
    const s = this.stats;
    s.recentMs[s.count % s.recentMs.length] = ms;
    s.count++;
  }
}
