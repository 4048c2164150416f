import { MATERIAL_COUNT, Material } from "../../shared/voxel/materials.ts";

/** Counts voxel materials (e.g. those a carve removes); `top()` names the most common solid one. Allocation-free. */
export class MaterialTally {
  private readonly counts = new Uint32Array(256);

  clear(): void {
    this.counts.fill(0, 0, MATERIAL_COUNT);
  }

  add(material: number): void {
    this.counts[material & 255]++;
  }

  /** The most common material other than air (the lowest id on a tie); Air when nothing solid was counted. */
  top(): number {
    let best: number = Material.Air;
    let n = 0;
    for (let id = 1; id < MATERIAL_COUNT; id++) {
      if (this.counts[id] > n) {
        n = this.counts[id];
        best = id;
      }
    }
    return best;
  }
}
