// The tick order. Each system sees what the ones before it produced this tick: inputs and
// NPCs move first, projectiles fly and hit, impacts carve, their edits go to the store (and
// durable ones out to clients), dirty chunks go to the mesh workers, finished meshes update
// colliders, and the net system sends the result last.
import { carveSystem } from "./carve.ts";
import { colliderSystem } from "./collider.ts";
import { intakeSystem } from "./intake.ts";
import { meshSystem } from "./mesh.ts";
import { netSystem } from "./net.ts";
import { npcSystem } from "./npc.ts";
import { persistSystem } from "./persist.ts";
import { projectileSystem } from "./projectile.ts";
import { raycastSystem } from "./raycast.ts";
import type { System } from "./types.ts";

/** Systems in tick order. */
export const SYSTEM_ORDER: readonly System[] = [
  intakeSystem,
  npcSystem,
  projectileSystem,
  raycastSystem,
  carveSystem,
  persistSystem,
  meshSystem,
  colliderSystem,
  netSystem,
];

export type { System } from "./types.ts";
