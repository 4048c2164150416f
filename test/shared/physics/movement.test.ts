import { describe, expect, it } from "vitest";
import { boxOverlapsSolid, CollideResult, moveAndCollide, PLAYER_BOX } from "../../../src/shared/physics/collide.ts";
import { createPlayerState, MOVE, stepPlayer } from "../../../src/shared/physics/movement.ts";
import type { MoveInput, PlayerState } from "../../../src/shared/physics/movement.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { Rng } from "../../../src/shared/voxel/rng.ts";
import { World } from "../../../src/shared/voxel/world.ts";
import { DEFAULT_WORLD_GEN, generateWorld } from "../../../src/shared/voxel/worldgen.ts";

const DT = 1 / 30;
const GROUND = 10;
const IDLE: MoveInput = { forward: 0, right: 0, jump: false, yaw: 0 };

/** 2x1x2 chunks, solid stone below y = GROUND. */
function flatWorld(): World {
  const w = new World({ chunksX: 2, chunksY: 1, chunksZ: 2 });
  for (let y = 0; y < GROUND; y++) for (let z = 0; z < w.maxZ; z++) for (let x = 0; x < w.maxX; x++) w.set(x, y, z, Material.Stone);
  return w;
}

function run(w: World, s: PlayerState, input: MoveInput, ticks: number, each?: (s: PlayerState) => void): PlayerState {
  for (let i = 0; i < ticks; i++) {
    stepPlayer(w, s, input, DT);
    each?.(s);
  }
  return s;
}

describe("stepPlayer", () => {
  it("falls under gravity and lands exactly on the ground", () => {
    const w = flatWorld();
    const s = createPlayerState(32.5, 20, 32.5);
    stepPlayer(w, s, IDLE, DT);
    expect(s.vy).toBeCloseTo(-MOVE.gravity * DT, 12);
    expect(s.onGround).toBe(false);
    run(w, s, IDLE, 60);
    expect(s.y).toBe(GROUND);
    expect(s.vy).toBe(0);
    expect(s.onGround).toBe(true);
    expect([s.x, s.z]).toEqual([32.5, 32.5]);
  });

  it("walks in the direction of yaw: 0 is -Z, pi/2 is -X; right is +X at yaw 0", () => {
    const w = flatWorld();
    const s = run(w, createPlayerState(32.5, GROUND, 32.5), IDLE, 2);
    run(w, s, { forward: 1, right: 0, jump: false, yaw: 0 }, 30);
    expect(s.z).toBeCloseTo(32.5 - MOVE.walkSpeed, 9);
    expect(s.x).toBeCloseTo(32.5, 9);
    run(w, s, { forward: 1, right: 0, jump: false, yaw: Math.PI / 2 }, 15);
    expect(s.x).toBeCloseTo(32.5 - MOVE.walkSpeed / 2, 9);
    run(w, s, { forward: 0, right: 1, jump: false, yaw: 0 }, 15);
    expect(s.x).toBeCloseTo(32.5, 9);
    // Diagonal input is not faster, and out-of-range or NaN input is clamped.
    const d = run(w, createPlayerState(32.5, GROUND, 32.5), { forward: 5, right: NaN, jump: false, yaw: 0 }, 10);
    expect(Math.hypot(d.vx, d.vz)).toBeCloseTo(MOVE.walkSpeed, 9);
    const e = run(w, createPlayerState(32.5, GROUND, 32.5), { forward: 1, right: 1, jump: false, yaw: 0.3 }, 10);
    expect(Math.hypot(e.vx, e.vz)).toBeCloseTo(MOVE.walkSpeed, 9);
  });

  it("cannot walk through a wall, at any speed", () => {
    const w = flatWorld();
    // A 3-high wall across z = 20..21.
    for (let y = GROUND; y < GROUND + 3; y++) for (let x = 0; x < w.maxX; x++) for (let z = 20; z <= 21; z++) w.set(x, y, z, Material.Brick);
    const s = run(w, createPlayerState(32.5, GROUND, 30.5), IDLE, 2);
    run(w, s, { forward: 1, right: 0, jump: false, yaw: 0 }, 90, (p) => {
      expect(p.z).toBeGreaterThanOrEqual(22 + PLAYER_BOX.halfWidth);
    });
    expect(s.z).toBeCloseTo(22 + PLAYER_BOX.halfWidth, 12);
    expect(s.x).toBeCloseTo(32.5, 12);
    // Sliding along the wall still works.
    run(w, s, { forward: 1, right: 1, jump: false, yaw: 0 }, 10);
    expect(s.x).toBeGreaterThan(33);
    expect(s.z).toBeCloseTo(22 + PLAYER_BOX.halfWidth, 12);
    // A huge velocity in one step is stopped by the first solid slab, not tunnelled through.
    const pos = [32.5, GROUND, 30.5];
    const vel = [0, 0, -10000];
    const out = moveAndCollide(w, pos, vel, 1, new CollideResult());
    expect(out.hitZ).toBe(true);
    expect(pos[2]).toBeCloseTo(22 + PLAYER_BOX.halfWidth, 12);
    expect(vel[2]).toBe(0);
  });

  it("jumps only when on the ground, to about the expected height", () => {
    const w = flatWorld();
    const s = createPlayerState(32.5, 14, 32.5);
    const jump: MoveInput = { forward: 0, right: 0, jump: true, yaw: 0 };
    // In the air, holding jump changes nothing.
    const a = createPlayerState(32.5, 14, 32.5);
    run(w, s, jump, 5);
    run(w, a, IDLE, 5);
    expect(s).toEqual(a);
    run(w, s, IDLE, 60);
    expect(s.onGround).toBe(true);
    stepPlayer(w, s, jump, DT);
    expect(s.onGround).toBe(false);
    expect(s.vy).toBeCloseTo(MOVE.jumpVelocity - MOVE.gravity * DT, 12);
    let apex = s.y;
    run(w, s, jump, 60, (p) => (apex = Math.max(apex, p.y)));
    const ideal = (MOVE.jumpVelocity * MOVE.jumpVelocity) / (2 * MOVE.gravity);
    expect(apex - GROUND).toBeGreaterThan(ideal * 0.85);
    expect(apex - GROUND).toBeLessThanOrEqual(ideal + 1e-9);
  });

  it("bumps its head on a ceiling", () => {
    const w = flatWorld();
    for (let x = 30; x < 35; x++) for (let z = 30; z < 35; z++) w.set(x, GROUND + 2, z, Material.Stone);
    const s = run(w, createPlayerState(32.5, GROUND, 32.5), IDLE, 2);
    let top = s.y;
    run(w, s, { forward: 0, right: 0, jump: true, yaw: 0 }, 30, (p) => (top = Math.max(top, p.y)));
    expect(top).toBeCloseTo(GROUND + 2 - PLAYER_BOX.height, 9);
    expect(s.y).toBe(GROUND);
  });

  it("steps up one voxel but not two", () => {
    const w = flatWorld();
    for (let x = 0; x < w.maxX; x++) for (let z = 0; z < 25; z++) w.set(x, GROUND, z, Material.Dirt);
    const s = run(w, createPlayerState(32.5, GROUND, 30.5), IDLE, 2);
    run(w, s, { forward: 1, right: 0, jump: false, yaw: 0 }, 30);
    expect(s.y).toBe(GROUND + 1);
    expect(s.z).toBeLessThan(25);
    for (let x = 0; x < w.maxX; x++) for (let z = 0; z < 15; z++) for (let y = GROUND + 1; y <= GROUND + 2; y++) w.set(x, y, z, Material.Dirt);
    run(w, s, { forward: 1, right: 0, jump: false, yaw: 0 }, 60);
    expect(s.y).toBe(GROUND + 1);
    expect(s.z).toBeCloseTo(15 + PLAYER_BOX.halfWidth, 12);
  });

  it("does not step up into a low ceiling, nor over a tall wall however fast", () => {
    const w = flatWorld();
    for (let x = 0; x < w.maxX; x++) for (let z = 0; z < 25; z++) w.set(x, GROUND, z, Material.Dirt);
    // A ceiling 2 voxels above the floor, ending where the ledge starts: the player fits (1.8)
    // but not when lifted by one, even though the space above the ledge is open.
    for (let x = 0; x < w.maxX; x++) for (let z = 25; z < 40; z++) w.set(x, GROUND + 2, z, Material.Stone);
    const s = run(w, createPlayerState(32.5, GROUND, 30.5), IDLE, 2);
    run(w, s, { forward: 1, right: 0, jump: false, yaw: 0 }, 30, (p) => {
      expect(boxOverlapsSolid(w, p.x, p.y, p.z, PLAYER_BOX)).toBe(false);
    });
    expect(s.y).toBe(GROUND);
    expect(s.z).toBeCloseTo(25 + PLAYER_BOX.halfWidth, 12);

    // A 1-voxel ledge followed by a 3-voxel wall: a huge move steps onto the ledge and stops
    // at the wall instead of landing beyond it.
    const v = flatWorld();
    for (let x = 0; x < v.maxX; x++) for (let z = 0; z < 25; z++) v.set(x, GROUND, z, Material.Dirt);
    for (let x = 0; x < v.maxX; x++) for (let y = GROUND + 1; y < GROUND + 4; y++) v.set(x, y, 20, Material.Brick);
    const pos = [32.5, GROUND, 30.5];
    const vel = [0, 0, -1000];
    const out = moveAndCollide(v, pos, vel, 1, new CollideResult(), PLAYER_BOX, true);
    expect(out.stepped).toBe(true);
    expect(out.hitZ).toBe(true);
    expect(pos[1]).toBe(GROUND + 1);
    expect(pos[2]).toBeCloseTo(21 + PLAYER_BOX.halfWidth, 12);
  });

  it("stops at the world's horizontal border", () => {
    const w = flatWorld();
    const s = run(w, createPlayerState(2.5, GROUND, 32.5), IDLE, 2);
    run(w, s, { forward: 1, right: 0, jump: false, yaw: Math.PI / 2 }, 60);
    expect(s.x).toBeCloseTo(PLAYER_BOX.halfWidth, 12);
  });

  it("is deterministic: the same inputs give bit-identical states, without ever entering a solid", () => {
    const gen = generateWorld({ ...DEFAULT_WORLD_GEN, chunksX: 4, chunksZ: 4 });
    const rng = new Rng(77);
    const inputs: MoveInput[] = [];
    for (let i = 0; i < 600; i++) {
      inputs.push({ forward: rng.next() * 2 - 1, right: rng.next() * 2 - 1, jump: rng.next() < 0.1, yaw: rng.next() * 7 });
    }
    const traces: number[][] = [];
    for (let r = 0; r < 2; r++) {
      const s = createPlayerState(gen.spawn[0], gen.spawn[1], gen.spawn[2]);
      const trace: number[] = [];
      for (let i = 0; i < inputs.length; i++) {
        // Hold each random input for 10 ticks so the walk covers some ground.
        stepPlayer(gen.world, s, inputs[Math.floor(i / 10)], DT);
        expect(boxOverlapsSolid(gen.world, s.x, s.y, s.z, PLAYER_BOX)).toBe(false);
        trace.push(s.x, s.y, s.z, s.vx, s.vy, s.vz, +s.onGround);
      }
      traces.push(trace);
    }
    expect(new Float64Array(traces[1])).toEqual(new Float64Array(traces[0]));
    const [x, , z] = traces[0].slice(-7);
    expect(Math.hypot(x - gen.spawn[0], z - gen.spawn[2])).toBeGreaterThan(3);
  });
});
