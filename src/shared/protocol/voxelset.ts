// Voxel edit sets on the wire: a bounding box and one bit per voxel. A crater of radius 3 is
// about 45 bytes this way instead of 3+ bytes per voxel, which keeps carve broadcasts (sent to
// every client) cheap. Sets convert to and from the voxel module's edit types.
import { packVoxel } from "../voxel/carve.ts";
import type { CarveResult, EditLog } from "../voxel/carve.ts";
import type { World } from "../voxel/world.ts";
import { DecodeErrorCode } from "./reader.ts";
import type { ByteReader } from "./reader.ts";
import { LIMITS } from "./messages.ts";
import type { VoxelSet } from "./messages.ts";
import type { ByteWriter } from "./writer.ts";
import { MATERIAL_COUNT } from "../voxel/materials.ts";

/** Largest box edge a set can describe. */
const VOXEL_SET_MAX_EDGE = 255;

/** A new empty set (material 0, 1x1x1 box, no bits). */
export function createVoxelSet(): VoxelSet {
  return { material: 0, minX: 0, minY: 0, minZ: 0, sizeX: 1, sizeY: 1, sizeZ: 1, mask: new Uint8Array(1) };
}

/** Bytes of a set's mask. */
export function maskBytes(sizeX: number, sizeY: number, sizeZ: number): number {
  return (sizeX * sizeY * sizeZ + 7) >> 3;
}

/**
 * Fills `out` from the changed voxels of a carve, all becoming `material`. Reuses `out.mask`
 * when it is big enough. Returns false when the carve is empty or its box exceeds the limits.
 */
export function voxelSetFromCarve(carve: CarveResult, material: number, out: VoxelSet): boolean {
  const n = carve.count;
  if (n === 0) return false;
  const xyz = carve.xyz;
  let x0 = xyz[0], y0 = xyz[1], z0 = xyz[2];
  let x1 = x0, y1 = y0, z1 = z0;
  for (let i = 1; i < n; i++) {
    const x = xyz[i * 3], y = xyz[i * 3 + 1], z = xyz[i * 3 + 2];
    if (x < x0) x0 = x; else if (x > x1) x1 = x;
    if (y < y0) y0 = y; else if (y > y1) y1 = y;
    if (z < z0) z0 = z; else if (z > z1) z1 = z;
  }
  const sx = x1 - x0 + 1, sy = y1 - y0 + 1, sz = z1 - z0 + 1;
  if (sx > VOXEL_SET_MAX_EDGE || sy > VOXEL_SET_MAX_EDGE || sz > VOXEL_SET_MAX_EDGE) return false;
  if (sx * sy * sz > LIMITS.voxelSetVolume || x0 > 0xffff || y0 > 0xffff || z0 > 0xffff) return false;
  const bytes = maskBytes(sx, sy, sz);
  const mask = out.mask.length >= bytes ? out.mask : new Uint8Array(bytes);
  mask.fill(0, 0, bytes);
  for (let i = 0; i < n; i++) {
    const bit = xyz[i * 3] - x0 + sx * (xyz[i * 3 + 2] - z0 + sz * (xyz[i * 3 + 1] - y0));
    mask[bit >> 3] |= 1 << (bit & 7);
  }
  out.material = material;
  out.minX = x0;
  out.minY = y0;
  out.minZ = z0;
  out.sizeX = sx;
  out.sizeY = sy;
  out.sizeZ = sz;
  out.mask = mask;
  return true;
}

/** Number of voxels in a set. */
export function voxelSetCount(set: VoxelSet): number {
  const bytes = maskBytes(set.sizeX, set.sizeY, set.sizeZ);
  let n = 0;
  for (let i = 0; i < bytes; i++) {
    let b = set.mask[i];
    while (b !== 0) {
      b &= b - 1;
      n++;
    }
  }
  return n;
}

/** Appends every voxel of `set` to `log` as an edit (x fastest, then z, then y: carve scan order). */
export function voxelSetToEdits(world: World, set: VoxelSet, log: EditLog): void {
  const { sizeX: sx, sizeY: sy, sizeZ: sz } = set;
  for (let y = 0; y < sy; y++) {
    for (let z = 0; z < sz; z++) {
      for (let x = 0; x < sx; x++) {
        const bit = x + sx * (z + sz * y);
        if ((set.mask[bit >> 3] & (1 << (bit & 7))) === 0) continue;
        const wx = set.minX + x, wy = set.minY + y, wz = set.minZ + z;
        if (wx >= world.maxX || wy >= world.maxY || wz >= world.maxZ) continue;
        log.push(packVoxel(world, wx, wy, wz), set.material);
      }
    }
  }
}

/** Writes a set: material u8, min u16 x3, size u8 x3, mask. */
export function writeVoxelSet(w: ByteWriter, set: VoxelSet): void {
  w.u8(set.material);
  w.u16(set.minX);
  w.u16(set.minY);
  w.u16(set.minZ);
  w.u8(set.sizeX);
  w.u8(set.sizeY);
  w.u8(set.sizeZ);
  w.bytesRaw(set.mask.subarray(0, maskBytes(set.sizeX, set.sizeY, set.sizeZ)));
}

/** Reads a set into `out` (copying the mask, so it outlives the frame). */
export function readVoxelSet(r: ByteReader, out: VoxelSet): void {
  const material = r.u8("set.material");
  if (material >= MATERIAL_COUNT) r.fail(DecodeErrorCode.OutOfRange, "set.material");
  out.material = material;
  out.minX = r.u16("set.min_x");
  out.minY = r.u16("set.min_y");
  out.minZ = r.u16("set.min_z");
  const sx = r.u8("set.size_x");
  const sy = r.u8("set.size_y");
  const sz = r.u8("set.size_z");
  if (!r.ok) return;
  if (sx === 0 || sy === 0 || sz === 0 || sx * sy * sz > LIMITS.voxelSetVolume) {
    r.fail(DecodeErrorCode.OutOfRange, "set.size");
    return;
  }
  out.sizeX = sx;
  out.sizeY = sy;
  out.sizeZ = sz;
  const bytes = maskBytes(sx, sy, sz);
  const src = r.bytesView(bytes, "set.mask");
  if (!r.ok) return;
  out.mask = src.slice();
}
