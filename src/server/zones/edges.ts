// Which edge of the zone a player is pushing against: pure geometry for the intake system (the
// push is timed there) and the hand-off (where the player lands in the next zone).
import { MOVE } from "../../shared/physics/movement.ts";
import type { Edge } from "./spec.ts";

/** A player this close (voxels) to a world edge, beyond its half width, is at the edge. */
const EDGE_SLACK = 0.05;
/** The wished direction must point out of the zone at least this much (a unit vector's component). */
const MIN_PUSH = 0.3;
/** How far inside the next zone's edge an arriving player is placed, and a refused one is pushed back (voxels). */
const EDGE_INSET = 1.5;

/**
 * The edge a player at (x, z) in a world of maxX by maxZ voxels pushes against with input
 * (forward, right, yaw) (movement.ts conventions), or null. Corners report the x edge.
 */
export function pushedEdge(x: number, z: number, maxX: number, maxZ: number, forward: number, right: number, yaw: number): Edge | null {
  const s = Math.sin(yaw);
  const c = Math.cos(yaw);
  let dx = -s * forward + c * right;
  let dz = -c * forward - s * right;
  const len = Math.hypot(dx, dz);
  if (!(len > 0)) return null;
  dx /= len;
  dz /= len;
  const reach = MOVE.halfWidth + EDGE_SLACK;
  if (x >= maxX - reach && dx >= MIN_PUSH) return "east";
  if (x <= reach && dx <= -MIN_PUSH) return "west";
  if (z >= maxZ - reach && dz >= MIN_PUSH) return "south";
  if (z <= reach && dz <= -MIN_PUSH) return "north";
  return null;
}

/**
 * Where a player that left across `edge` at (x, z) arrives in the next zone (same size): just
 * inside the opposite edge, at the same coordinate along it.
 */
export function arrivalPoint(edge: Edge, x: number, z: number, maxX: number, maxZ: number): { x: number; z: number } {
  if (edge === "east") return { x: EDGE_INSET, z };
  if (edge === "west") return { x: maxX - EDGE_INSET, z };
  if (edge === "south") return { x, z: EDGE_INSET };
  return { x, z: maxZ - EDGE_INSET };
}

/** Where a player whose hand-off across `edge` was refused is put back: EDGE_INSET inside it. */
export function pushBack(edge: Edge, x: number, z: number, maxX: number, maxZ: number): { x: number; z: number } {
  if (edge === "east") return { x: Math.min(x, maxX - EDGE_INSET), z };
  if (edge === "west") return { x: Math.max(x, EDGE_INSET), z };
  if (edge === "south") return { x, z: Math.min(z, maxZ - EDGE_INSET) };
  return { x, z: Math.max(z, EDGE_INSET) };
}
