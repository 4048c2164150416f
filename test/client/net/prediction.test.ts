// Prediction and reconciliation: replaying unacknowledged inputs on the server's state gives
// back the prediction when nothing was mispredicted, and converges on the server's view when
// the client's world was wrong. The "server" here is the same stepPlayer on its own state,
// fed the inputs late, as the real intake system does.
import { describe, expect, it } from "vitest";
import { Prediction } from "../../../src/client/net/prediction.ts";
import { PlayerController } from "../../../src/client/game/player.ts";
import { createPlayerState, stepPlayer } from "../../../src/shared/physics/movement.ts";
import type { MoveInput, PlayerState } from "../../../src/shared/physics/movement.ts";
import { createSelfState, SelfFlag } from "../../../src/shared/protocol/messages.ts";
import type { SelfState } from "../../../src/shared/protocol/messages.ts";
import { Material } from "../../../src/shared/voxel/materials.ts";
import { World } from "../../../src/shared/voxel/world.ts";

const DT = Math.fround(1 / 30);
const GROUND = 10;

function flatWorld(): World {
  const w = new World({ chunksX: 2, chunksY: 1, chunksZ: 2 });
  for (let y = 0; y < GROUND; y++) for (let z = 0; z < w.maxZ; z++) for (let x = 0; x < w.maxX; x++) w.set(x, y, z, Material.Stone);
  return w;
}

/** The self state a delta carries: float32 fields, on-ground flag. */
function selfOf(s: PlayerState): SelfState {
  const out = createSelfState();
  out.x = Math.fround(s.x);
  out.y = Math.fround(s.y);
  out.z = Math.fround(s.z);
  out.vx = Math.fround(s.vx);
  out.vy = Math.fround(s.vy);
  out.vz = Math.fround(s.vz);
  out.flags = s.onGround ? SelfFlag.OnGround : 0;
  return out;
}

/** A scripted walk: forward, a turn, a jump, strafing. */
function inputAt(i: number): MoveInput {
  return { forward: i < 40 ? 1 : 0.5, right: i > 60 ? -1 : 0, jump: i === 30 || i === 75, yaw: Math.fround(i < 50 ? 0 : 0.8) };
}

/**
 * Runs client and server for `steps` inputs with `latency` steps of delay each way; the server
 * world may differ from the client's. Returns the largest gap between the client's prediction
 * right after each reconcile and the client-only simulation, and the final states.
 */
function simulate(opts: { steps: number; latency: number; serverWorld: World; clientWorld: World }) {
  const { steps, latency, serverWorld, clientWorld } = opts;
  const prediction = new Prediction();
  const client = createPlayerState(32.5, GROUND, 32.5);
  const server = createPlayerState(32.5, GROUND, 32.5);
  const inFlight: { seq: number; input: MoveInput }[] = [];
  const acks: { ack: number; self: SelfState; at: number }[] = [];
  let maxCorrection = 0;
  let rewinds = 0;
  for (let i = 1; i <= steps + 2 * latency; i++) {
    if (i <= steps) {
      const input = inputAt(i);
      stepPlayer(clientWorld, client, input, DT);
      prediction.push(i, input, DT, client);
      inFlight.push({ seq: i, input });
    }
    // The server applies inputs that have arrived, then reports its state with the ack.
    while (inFlight.length > 0 && inFlight[0].seq <= i - latency) {
      const { seq, input } = inFlight.shift()!;
      stepPlayer(serverWorld, server, input, DT);
      acks.push({ ack: seq, self: selfOf(server), at: i + latency });
    }
    while (acks.length > 0 && acks[0].at <= i) {
      const a = acks.shift()!;
      const before = { ...client };
      if (prediction.reconcile(clientWorld, a.ack, a.self, client)) rewinds++;
      maxCorrection = Math.max(maxCorrection, Math.hypot(client.x - before.x, client.y - before.y, client.z - before.z));
    }
  }
  return { client, server, maxCorrection, rewinds, prediction };
}

describe("Prediction", () => {
  it("a correct prediction is confirmed as is: no rewind, no correction, through walks, turns and jumps", () => {
    const world = flatWorld();
    const { client, server, maxCorrection, rewinds, prediction } = simulate({ steps: 90, latency: 3, serverWorld: world, clientWorld: world });
    expect(rewinds).toBe(0);
    expect(maxCorrection).toBe(0);
    expect(prediction.count).toBe(0);
    expect(client.x).toBeCloseTo(server.x, 4);
    expect(client.z).toBeCloseTo(server.z, 4);
    expect(client.y).toBeCloseTo(server.y, 4);
  });

  it("a wall only the server knows about is corrected to the server's side of it", () => {
    const clientWorld = flatWorld();
    const serverWorld = flatWorld();
    // A wall across the walk (which heads to -Z at yaw 0) at z = 27.
    for (let y = GROUND; y < GROUND + 4; y++) for (let x = 0; x < 64; x++) serverWorld.set(x, y, 27, Material.Brick);
    const { client, server, maxCorrection, rewinds } = simulate({ steps: 40, latency: 3, serverWorld, clientWorld });
    expect(rewinds).toBeGreaterThan(0);
    expect(maxCorrection).toBeGreaterThan(0.5);
    expect(server.z).toBeGreaterThan(28);
    expect(client.z).toBeCloseTo(server.z, 4);
  });

  it("rewinds from the server's state on a mismatch; acknowledged inputs are dropped; a full ring forgets the oldest", () => {
    const p = new Prediction(4);
    const input: MoveInput = { forward: 1, right: 0, jump: false, yaw: 0 };
    // Predicted states that the server will not confirm (it has the player standing at 32.5).
    const wrong = createPlayerState(99, GROUND, 99);
    for (let seq = 1; seq <= 6; seq++) p.push(seq, input, DT, wrong);
    expect(p.count).toBe(4);
    p.ack(4);
    expect(p.count).toBe(2);
    const out = createPlayerState(0, 0, 0);
    const world = flatWorld();
    const self = selfOf(createPlayerState(32.5, GROUND, 32.5));
    self.flags = SelfFlag.OnGround;
    expect(p.reconcile(world, 5, self, out)).toBe(true);
    expect(p.lastReplayed).toBe(1);
    // One replayed step forward (yaw 0: -Z) at walking speed.
    expect(out.z).toBeCloseTo(32.5 - 6 * DT, 5);
    p.clear();
    expect(p.count).toBe(0);
  });

  it("a repeated state for the same acknowledged input (a refresh) confirms instead of rewinding", () => {
    const world = flatWorld();
    const p = new Prediction();
    const s = createPlayerState(32.5, GROUND, 32.5);
    s.onGround = true;
    const idleInput: MoveInput = { forward: 0, right: 0, jump: false, yaw: 0 };
    for (let seq = 1; seq <= 3; seq++) {
      stepPlayer(world, s, idleInput, DT);
      p.push(seq, idleInput, DT, s);
    }
    const self = selfOf(s);
    expect(p.reconcile(world, 3, self, s)).toBe(false);
    expect(p.reconcile(world, 3, self, s)).toBe(false);
    // Before any input was applied the server's state is compared with nothing: one rewind, then confirmed.
    const q = new Prediction();
    expect(q.reconcile(world, 0, self, s)).toBe(true);
    expect(q.reconcile(world, 0, self, s)).toBe(false);
    expect(q.rewinds).toBe(1);
  });
});

describe("PlayerController corrections", () => {
  const world = flatWorld();
  const idle = (p: PlayerController, seconds: number) => {
    for (let t = 0; t < seconds; t += 1 / 60) p.update(1 / 60, 0, 0, false);
  };

  it("a small correction moves the state at once and the camera smoothly", () => {
    const p = new PlayerController(world, [32.5, GROUND, 32.5], 0, { stepDt: DT, respawnOnFall: false });
    idle(p, 0.2);
    const eye0 = p.eye([0, 0, 0]).slice();
    const before = { ...p.state };
    p.state.x += 0.5;
    p.corrected(before);
    expect(p.eye([0, 0, 0])[0]).toBeCloseTo(eye0[0], 9);
    idle(p, 1 / 30);
    const mid = p.eye([0, 0, 0])[0];
    expect(mid).toBeGreaterThan(eye0[0]);
    expect(mid).toBeLessThan(eye0[0] + 0.5);
    idle(p, 1);
    expect(p.eye([0, 0, 0])[0]).toBeCloseTo(eye0[0] + 0.5, 4);
  });

  it("a large correction (respawn) snaps", () => {
    const p = new PlayerController(world, [32.5, GROUND, 32.5], 0, { stepDt: DT, respawnOnFall: false });
    idle(p, 0.2);
    const before = { ...p.state };
    p.state.x += 10;
    p.corrected(before);
    expect(p.eye([0, 0, 0])[0]).toBeCloseTo(42.5, 9);
  });

  it("reports every step's input, rounded to float32 when asked", () => {
    const seen: { yaw: number; dt: number }[] = [];
    const p = new PlayerController(world, [32.5, GROUND, 32.5], 0, { stepDt: DT, float32Inputs: true, onStep: (input, _pitch, dt) => seen.push({ yaw: input.yaw, dt }) });
    p.setAim(0.1, 0);
    p.update(0.11, 1, 0, false);
    expect(seen).toHaveLength(3);
    expect(seen.every((s) => s.yaw === Math.fround(0.1) && s.dt === DT)).toBe(true);
  });
});
