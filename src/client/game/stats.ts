import type { NetStats } from "../net/connection.ts";
import type { RenderStats } from "../render/stats.ts";
import type { MeshPoolStats } from "../workers/pool.ts";
import type { WorkerFailures } from "../workers/supervise.ts";

/** World-edit figures of this session. */
export interface WorldStats {
  shotsFired: number;
  carves: number;
  voxelsCarved: number;
  projectilesInFlight: number;
}

/** The frame loop as a whole. */
export interface LoopStats {
  /** Main-thread CPU time of the last tick: input, simulation, streaming and rendering, ms. */
  cpuMs: number;
  /** Time since the previous tick, ms (the frame interval). */
  dtMs: number;
}

/**
 * Everything the client measures, as live objects mutated in place: the dev overlay and
 * client telemetry read from here (and the e2e test through the automation hook).
 */
export interface GameStats {
  readonly render: RenderStats;
  readonly mesh: MeshPoolStats;
  /** Mesher and worldgen workers that crashed or hung (each replaced, its jobs requeued). */
  readonly workers: WorkerFailures;
  readonly world: WorldStats;
  readonly loop: LoopStats;
  /** Connection figures online (bytes, RTT, server tick time); null offline. */
  readonly net: NetStats | null;
}
