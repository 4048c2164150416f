import type { DirtyChunks } from "../../shared/voxel/carve.ts";

/** Projectiles the client should draw this frame, whoever simulates them. */
export interface ProjectileList {
  readonly count: number;
  /** Positions, 3 floats per projectile, valid for indices < count. */
  readonly xyz: Float64Array;
  /** Unit flight directions, 3 floats per projectile. */
  readonly dir: Float64Array;
  /** Distance flown since it was fired (voxels), 1 float per projectile (tracers start behind it). */
  readonly traveled: Float64Array;
}

/**
 * A crater that changed the world. The object is reused between events: read it inside the
 * listener, do not keep it.
 */
export interface CarveEvent {
  /** The material most of the carved voxels were (debris takes its colour). */
  readonly material: number;
  /** Crater centre (world voxels). */
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly radius: number;
  /** Voxels that became air. */
  readonly voxels: number;
  /** Chunks whose mesh input changed (the owners and the neighbours whose padding changed). */
  readonly dirty: DirtyChunks;
}

export type CarveListener = (event: CarveEvent) => void;

/**
 * Who decides what a shot does. The playable-world build simulates locally (LocalAuthority);
 * the multiplayer build replaces it with one that sends fire commands to the server and
 * applies the server's carve events to the local World, emitting the same onCarve events,
 * so rendering and re-meshing do not change.
 */
export interface WorldAuthority {
  /** Minimum time between shots, seconds (the server's weapon cooldown online). */
  readonly cooldown: number;
  /**
   * Fires from `origin` along unit vector `dir` (arrays are read at once, not kept). Returns the
   * shot's id (online: the command id the server echoes in its events), or -1 when no shot was
   * made (not connected, too many in flight).
   */
  fire(origin: ArrayLike<number>, dir: ArrayLike<number>): number;
  /** Advances local simulation (projectile flight, interpolation) by dt seconds. */
  update(dt: number): void;
  readonly projectiles: ProjectileList;
  /** Subscribes to world edits; returns the unsubscribe function. */
  onCarve(listener: CarveListener): () => void;
  dispose(): void;
}
