// Effects: an impact burst throws pieces in the carved material's colour that fall, rest on
// solid ground and expire; the pool never grows past its capacity; tracers trail behind each
// projectile along its direction and never reach back past the muzzle. The material tally
// names what most of a crater was.
import { describe, expect, it } from "vitest";
import { EFFECTS, Effects } from "../../../src/client/game/effects.ts";
import { MaterialTally } from "../../../src/client/game/material-tally.ts";
import { BoxRecorder } from "../render/box-recorder.ts";
import { Material, MATERIALS } from "../../../src/shared/voxel/materials.ts";
import { World } from "../../../src/shared/voxel/world.ts";

/** A flat stone floor: y < 10 solid. */
function floor(): World {
  const w = new World({ chunksX: 1, chunksY: 1, chunksZ: 1 });
  for (let x = 0; x < 32; x++) for (let z = 0; z < 32; z++) for (let y = 0; y < 10; y++) w.set(x, y, z, Material.Stone);
  return w;
}

describe("debris", () => {
  it("bursts in the material's colour, falls, rests on the floor and expires", () => {
    const fx = new Effects(7);
    const world = floor();
    fx.burstMaterial(16, 10.5, 16, Material.Brick);
    expect(fx.count).toBe(EFFECTS.burst);
    const sink = new BoxRecorder();
    fx.draw(sink);
    const brick = MATERIALS[Material.Brick].color;
    for (const b of sink.boxes) {
      // Shaded copies of the brick colour: same hue ratios.
      expect(b[6] / b[7]).toBeCloseTo(brick[0] / brick[1], 5);
      expect(b[7] / b[8]).toBeCloseTo(brick[1] / brick[2], 5);
    }
    for (let t = 0; t < 0.4; t += 1 / 60) fx.step(1 / 60, world);
    sink.boxes.length = 0;
    fx.draw(sink);
    // Everything still alive is above the floor (pieces rest on it, never sink into it).
    for (const b of sink.boxes) expect(b[1]).toBeGreaterThanOrEqual(10);
    for (let t = 0; t < EFFECTS.maxLife + 0.1; t += 1 / 60) fx.step(1 / 60, world);
    expect(fx.count).toBe(0);
  });

  it("never holds more than its capacity", () => {
    const fx = new Effects();
    for (let i = 0; i < 100; i++) fx.burstMaterial(0, 50, 0, Material.Grass);
    expect(fx.count).toBe(EFFECTS.capacity);
  });
});

describe("tracers", () => {
  it("trail behind each projectile along its direction, clear of the muzzle", () => {
    const fx = new Effects();
    const sink = new BoxRecorder();
    const list = {
      count: 3,
      xyz: new Float64Array([0, 10, 0, 5, 10, 5, 0, 0, 0]),
      dir: new Float64Array([0, 0, -1, 1, 0, 0, 0, 1, 0]),
      traveled: new Float64Array([20, 2, 0.5]),
    };
    fx.drawTracers(sink, list);
    // The third has not left the muzzle zone yet: no tracer.
    expect(sink.boxes).toHaveLength(2);
    const [a, b] = sink.boxes;
    expect(a[5]).toBeCloseTo(EFFECTS.tracerLength / 2, 9);
    expect([a[0], a[1], a[2]]).toEqual([0, 10, EFFECTS.tracerLength / 2]);
    expect([a[10], a[11], a[12]]).toEqual([0, 0, -1]);
    // Only 2 - muzzleClear voxels long: it never reaches back past the shooter.
    expect(b[5] * 2).toBeCloseTo(2 - EFFECTS.muzzleClear, 9);
    expect(b[0] - b[5]).toBeCloseTo(5 - 2 + EFFECTS.muzzleClear, 9);
  });
});

describe("material tally", () => {
  it("names the most common solid material, air when there is none", () => {
    const t = new MaterialTally();
    expect(t.top()).toBe(Material.Air);
    for (const m of [Material.Air, Material.Air, Material.Air, Material.Dirt, Material.Brick, Material.Brick]) t.add(m);
    expect(t.top()).toBe(Material.Brick);
    t.clear();
    t.add(Material.Stone);
    expect(t.top()).toBe(Material.Stone);
  });
});
