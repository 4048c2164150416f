// Command intake: inputs move the player through stepPlayer, the movement budget stops speed
// hacks, and fire commands become projectiles subject to the weapon cooldown.
import { describe, expect, it } from "vitest";
import { intakeSystem } from "../../../src/server/systems/intake.ts";
import { MOVE } from "../../../src/shared/physics/movement.ts";
import type { Entity } from "../../../src/server/game/entities.ts";
import { harness } from "../support.ts";
import type { SystemHarness } from "../support.ts";

function queueInput(e: Entity, seq: number, dt: number, forward: number, yaw = 0): void {
  const slot = e.control!.inputs.pushSlot()!;
  Object.assign(slot, { seq, dt, forward, right: 0, yaw, pitch: 0, buttons: 0 });
}

function queueFire(e: Entity, commandId: number, dx: number, dy: number, dz: number): void {
  const slot = e.control!.fires.pushSlot()!;
  Object.assign(slot, { commandId, ox: 0, oy: 0, oz: 0, dx, dy, dz, traceparent: null });
}

function tick(h: SystemHarness): void {
  h.step();
  intakeSystem.run(h.game, h.ctx);
}

describe("intake system", () => {
  it("applies one input per tick like the client would predict it", () => {
    const h = harness({ npcCount: 0 });
    const p = h.game.spawnPlayer("s")!;
    const z0 = p.move.z;
    const x0 = p.move.x;
    for (let i = 1; i <= 30; i++) {
      queueInput(p, i, 1 / 30, 1, 0);
      tick(h);
    }
    expect(p.control!.lastSeq).toBe(30);
    expect(p.move.x).toBeCloseTo(x0, 6);
    // yaw 0 walks towards -Z; a second of walking covers at most walkSpeed.
    expect(z0 - p.move.z).toBeGreaterThan(MOVE.walkSpeed * 0.8);
    expect(z0 - p.move.z).toBeLessThanOrEqual(MOVE.walkSpeed + 1e-9);
  });

  it("rejects inputs beyond the movement time budget and counts them", () => {
    const h = harness({ npcCount: 0 });
    const p = h.game.spawnPlayer("s")!;
    for (let i = 1; i <= 8; i++) queueInput(p, i, 0.1, 1);
    tick(h);
    // Budget: 0.1 s at spawn + one tick (1/30 s) -> exactly one 0.1 s input fits.
    expect(h.game.stats.errors.speed_violation).toBe(7);
    expect(p.control!.lastSeq).toBe(8);
    queueInput(p, 9, 1.0, 1);
    tick(h);
    expect(h.game.stats.errors.speed_violation).toBe(8);
  });

  it("clamps and counts axis values beyond 1, and ignores replayed sequence numbers", () => {
    const h = harness({ npcCount: 0 });
    const p = h.game.spawnPlayer("s")!;
    queueInput(p, 5, 1 / 30, 50);
    tick(h);
    expect(h.game.stats.errors.speed_violation).toBe(1);
    queueInput(p, 5, 1 / 30, 1);
    tick(h);
    expect(h.game.stats.errors.malformed_frame).toBe(1);
    expect(p.control!.lastSeq).toBe(5);
  });

  it("turns a fire command into a projectile from the eye, and enforces the cooldown", () => {
    const h = harness({ npcCount: 0, weaponCooldownMs: 250 });
    const p = h.game.spawnPlayer("s")!;
    queueFire(p, 11, 0, 0, -2);
    queueFire(p, 12, 0, 0, -1);
    tick(h);
    expect(h.game.projectiles.active.length).toBe(1);
    const pr = h.game.projectiles.active[0];
    expect(pr.commandId).toBe(11);
    expect([pr.x, pr.y, pr.z]).toEqual([p.move.x, p.move.y + MOVE.eyeHeight, p.move.z]);
    expect([pr.vx, pr.vy, pr.vz]).toEqual([0, 0, -h.game.config.projectileSpeed]);
    expect(h.game.stats.errors.fire_rate).toBe(1);
    expect(p.control!.rejectedFires).toEqual([12]);
    expect(h.game.outbox.spawned.count).toBe(1);
    // After the cooldown (minus the jitter tolerance) the weapon fires again.
    for (let i = 0; i < 6; i++) tick(h);
    queueFire(p, 13, 1, 0, 0);
    tick(h);
    expect(h.game.projectiles.active.length).toBe(2);
    expect(h.game.stats.errors.fire_rate).toBe(1);
  });

  it("never sustains more than one shot per cooldown", () => {
    const h = harness({ npcCount: 0, weaponCooldownMs: 100 });
    const p = h.game.spawnPlayer("s")!;
    for (let t = 0; t < 300; t++) {
      queueFire(p, t + 1, 0, 1, 0);
      tick(h);
    }
    // 300 ticks = 10 s: at most 10 s / 100 ms shots, plus the tolerance of the first one.
    expect(h.game.stats.shots).toBeLessThanOrEqual(101);
    expect(h.game.stats.shots + h.game.stats.errors.fire_rate).toBe(300);
  });
});
