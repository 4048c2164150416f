// Binary greedy mesher: padded chunk bytes in, packed quads (quad.ts format) out.
//
// 1. One pass over the padded bytes builds a 32-bit solid mask per (y, z) row along x,
//    reading 4 voxels per DataView load.
// 2. Face culling is bitwise: +Y/-Y and +Z/-Z compare whole rows (row & ~rowAbove), +X/-X
//    shift inside a row, with the padding bytes at x = -1 and x = 32 as the carried-in bit.
//    So chunk borders see their neighbours: no holes and no hidden faces between chunks.
// 3. For each face direction and slice, a 32x32 bit plane (rows along V, bits along U) gets a
//    key per exposed face: material | AO << 8, which is exactly the quad's second word. AO
//    reads the 3x3 neighbourhood in the plane in front of the face: from the row masks for
//    +-Y/+-Z faces (their U axis is x, the row axis), from the bytes for +-X faces.
// 4. Greedy merge inside the plane: grow along U while the key matches, then along V while a
//    whole run of the next row matches. Both tests are bit operations on per-row masks of
//    "same key as the face to my left", so the merge costs per quad, not per face.
//    Equal keys mean equal material and equal 4-corner AO. Neighbouring faces share their
//    edge vertices, so a merged quad's AO is constant along every direction it was merged in,
//    and interpolating its four corners shows exactly what the 1x1 faces would have shown.
import { PADDED_SIZE, PADDED_VOLUME } from "../voxel/constants.ts";
import { Face, QUAD_WORDS } from "./quad.ts";

/** Reusable output of meshChunk; pass the same one to every call (per worker) to avoid allocation. */
export interface MeshOutput {
  /** Packed quads in words [0, quadCount * QUAD_WORDS); longer than that, and replaced by a larger array when it fills up. */
  quads: Uint32Array<ArrayBuffer>;
  /** Quads written by the last call. */
  quadCount: number;
  /** Quads per face direction (index = Face id). Quads are grouped by face in Face order, so these give each face's range. */
  readonly faceCounts: Uint32Array;
}

/** What meshChunk returns: the MeshOutput it wrote into, read-only. Valid until the next call with the same output. */
export type MeshResult = Readonly<MeshOutput>;

const P = PADDED_SIZE; // 34
const S = P - 2; // 32, one bit per voxel in a row mask
const SY = P * P; // padded stride of y (x is 1, z is P)
const ORIGIN = 1 + P + SY; // paddedIndex(0, 0, 0)
const MIN_CAPACITY_QUADS = 1024;

// Bit positions of x, y, z in quad word 0 (see quad.ts).
const SHIFT_X = 0;
const SHIFT_Y = 6;
const SHIFT_Z = 12;

// Module scratch, reused by every call. The mesher is synchronous, so one set per JS realm
// (page, worker, server thread) is enough.
/** rows[py * P + pz], padded py/pz 0..33: bit x set when voxel (x, py - 1, pz - 1) is solid. */
const rows = new Int32Array(P * P);
/** Exposed +X faces, [x * S + y] bit z; then the same for -X at offset S * S. */
const planesX = new Int32Array(2 * S * S);
/** The current +-Y or +-Z plane: [v] bit u. */
const plane = new Int32Array(S);
/** Per plane row: bit u set when face u and face u - 1 are both exposed and have equal keys. */
const sameLeft = new Int32Array(S);
/** Quad word 1 (material | AO << 8) of each exposed face of the current plane, [v * S + u]. */
const keys = new Uint32Array(S * S);

/**
 * AO byte for the 3x3 neighbourhood in the plane in front of a face. Bit (dv + 1) * 3 + (du + 1)
 * is set when the cell at (du, dv) is solid (bit 4, the cell right in front, is air for any
 * exposed face). This layout makes a row of three cells three adjacent bits, so row masks
 * yield it with one shift each. Classic vertex AO per corner: both sides solid -> 0, else
 * 3 - (side1 + side2 + corner); corner i at bits 2i, in quad.ts corner order.
 */
const AO_TABLE = buildAoTable();

function buildAoTable(): Uint8Array {
  const table = new Uint8Array(512);
  for (let p = 0; p < 512; p++) {
    const at = (du: number, dv: number): number => (p >> ((dv + 1) * 3 + du + 1)) & 1;
    const vertex = (du: number, dv: number): number => {
      const s1 = at(du, 0);
      const s2 = at(0, dv);
      return s1 && s2 ? 0 : 3 - (s1 + s2 + at(du, dv));
    };
    table[p] = vertex(-1, -1) | (vertex(1, -1) << 2) | (vertex(1, 1) << 4) | (vertex(-1, 1) << 6);
  }
  return table;
}

// Output buffer of the call in progress (module-level so helpers can grow it).
const EMPTY = new Uint32Array(0);
let words: Uint32Array<ArrayBuffer> = EMPTY;
// Reads 4 voxels at a time; rebuilt only when the input's buffer or offset changes (the
// offset is kept apart because reading it from a view of a detached buffer throws). It holds
// on to the last input buffer (34^3 bytes) between calls, which is harmless.
let view: DataView = new DataView(new ArrayBuffer(PADDED_VOLUME));
let viewOffset = 0;

const defaultOutput = createMeshOutput();

/** Creates a reusable mesh output with room for `initialQuads` quads (it grows on demand). */
export function createMeshOutput(initialQuads = 4096): MeshOutput {
  return {
    quads: new Uint32Array(Math.max(initialQuads, 1) * QUAD_WORDS),
    quadCount: 0,
    faceCounts: new Uint32Array(6),
  };
}

/** An exact-size copy of a result's quads, safe to transfer (Comlink.transfer) while the output is reused. */
export function copyQuads(result: MeshResult): Uint32Array<ArrayBuffer> {
  return result.quads.slice(0, result.quadCount * QUAD_WORDS);
}

/**
 * Greedy-meshes one chunk from its padded 34^3 bytes (layout of paddedIndex, material ids,
 * 0 = air) into packed quads, grouped by face in Face order. Allocation contract: nothing is
 * allocated per voxel or per quad; module scratch typed arrays are reused, and `out.quads` is
 * reused and only replaced by a larger array (doubling) when it fills up or was transferred
 * (detached). Without `out`, a module-level output is used: the next call overwrites it.
 */
export function meshChunk(padded: Uint8Array, out: MeshOutput = defaultOutput): MeshResult {
  if (padded.length < PADDED_VOLUME) throw new RangeError("meshChunk: padded array must hold 34^3 voxels");
  if (view.buffer !== padded.buffer || viewOffset !== padded.byteOffset) {
    view = new DataView(padded.buffer, padded.byteOffset, PADDED_VOLUME);
    viewOffset = padded.byteOffset;
  }
  words = out.quads;
  buildRows(view);
  buildPlanesX(padded);

  let n = 0;
  const fc = out.faceCounts;
  for (let face = 0; face < 6; face++) {
    const before = n;
    n = face < 2 ? meshFacesX(padded, face, n) : meshFacesYZ(padded, face, n);
    fc[face] = n - before;
  }
  out.quads = words;
  out.quadCount = n;
  words = EMPTY; // do not keep the caller's buffer alive from module scope
  return out;
}

/** 1 for a solid voxel byte, 0 for air, without a branch. */
function solid(b: number): number {
  return (b + 255) >> 8;
}

/** Four voxel bytes (little-endian word) -> 4 solid bits: sets each byte's top bit when non-zero, then gathers them. */
function solid4(v: number): number {
  const t = (((v & 0x7f7f7f7f) + 0x7f7f7f7f) | v) & 0x80808080;
  // Multiplying by 2^0 + 2^7 + 2^14 + 2^21 moves the 4 flags (bits 0, 8, 16, 24) to bits 21..24, carry-free.
  return (Math.imul(t >>> 7, 0x204081) >>> 21) & 15;
}

/** Packs every padded row's 32 interior voxels into a solid mask. */
function buildRows(dv: DataView): void {
  for (let r = 0; r < P * P; r++) {
    const i = ((r / P) | 0) * SY + (r % P) * P + 1;
    let m = 0;
    for (let k = 0; k < S; k += 4) m |= solid4(dv.getUint32(i + k, true)) << k;
    rows[r] = m;
  }
}

/** Culls +-X faces with shifts inside each row and scatters them into (x; y, z) planes. */
function buildPlanesX(p: Uint8Array): void {
  planesX.fill(0);
  const NEG = S * S;
  for (let y = 0; y < S; y++) {
    for (let z = 0; z < S; z++) {
      const r = rows[(y + 1) * P + z + 1];
      if (r === 0) continue;
      const i = ORIGIN + y * SY + z * P;
      const lo = solid(p[i - 1]); // x = -1 (neighbour chunk)
      const hi = solid(p[i + S]); // x = 32 (neighbour chunk)
      let pos = r & ~((r >>> 1) | (hi << 31));
      let neg = r & ~((r << 1) | lo);
      const bit = 1 << z;
      while (pos !== 0) {
        const low = pos & -pos;
        planesX[(31 - Math.clz32(low)) * S + y] |= bit;
        pos ^= low;
      }
      while (neg !== 0) {
        const low = neg & -neg;
        planesX[NEG + (31 - Math.clz32(low)) * S + y] |= bit;
        neg ^= low;
      }
    }
  }
}

/** Meshes the 32 slices of +X or -X (u = z, v = y); returns the new quad count. */
function meshFacesX(p: Uint8Array, face: number, n: number): number {
  const neg = face === Face.NegX;
  for (let x = 0; x < S; x++) {
    const off = (neg ? S * S : 0) + x * S;
    let any = 0;
    for (let v = 0; v < S; v++) any |= planesX[off + v];
    if (any === 0) continue;
    keysFromBytes(p, planesX, off, ORIGIN + x, P, SY, neg ? -1 : 1);
    n = mergePlane(planesX, off, (x << SHIFT_X) | (face << 28), SHIFT_Z, SHIFT_Y, n);
  }
  return n;
}

/** Meshes the 32 slices of a +-Y (u = x, v = z) or +-Z (u = x, v = y) face; returns the new quad count. */
function meshFacesYZ(p: Uint8Array, face: number, n: number): number {
  const isY = face === Face.PosY || face === Face.NegY;
  const sign = (face & 1) === 0 ? 1 : -1;
  // Row-index steps: from one plane row to the next, and from a row to its front row.
  const rowStep = isY ? 1 : P;
  const frontStep = isY ? sign * P : sign;
  const sV = isY ? P : SY;
  const shN = isY ? SHIFT_Y : SHIFT_Z;
  const shV = isY ? SHIFT_Z : SHIFT_Y;
  for (let d = 0; d < S; d++) {
    // Row index of plane row v = 0: (y = d, z = 0) for Y, (y = 0, z = d) for Z.
    const here = isY ? (d + 1) * P + 1 : P + d + 1;
    let any = 0;
    for (let v = 0, r = here; v < S; v++, r += rowStep) {
      const m = rows[r] & ~rows[r + frontStep];
      plane[v] = m;
      any |= m;
    }
    if (any === 0) continue;
    keysFromRows(p, here + frontStep, rowStep, ORIGIN + d * (isY ? SY : P), sV, isY ? sign * SY : sign * P);
    n = mergePlane(plane, 0, (d << shN) | (face << 28), SHIFT_X, shV, n);
  }
  return n;
}

/**
 * Keys and sameLeft masks of a +-Y/+-Z plane. The front plane's rows (front, and the rows
 * before and after it) give the 3x3 AO neighbourhood by shifts; the two edge columns, whose
 * neighbours are padding bytes outside the row masks, read the bytes.
 */
function keysFromRows(p: Uint8Array, front: number, rowStep: number, base: number, sV: number, frontOffset: number): void {
  for (let v = 0; v < S; v++) {
    let m = plane[v];
    let same = 0;
    if (m !== 0) {
      const f = front + v * rowStep;
      const a = rows[f - rowStep];
      const b = rows[f];
      const c = rows[f + rowStep];
      const rowBase = base + v * sV;
      let prevU = -2;
      let prevKey = -1;
      while (m !== 0) {
        const low = m & -m;
        const u = 31 - Math.clz32(low);
        m ^= low;
        const i = rowBase + u;
        let pattern: number;
        if (u > 0 && u < S - 1) {
          const sh = u - 1;
          pattern = ((a >>> sh) & 7) | (((b >>> sh) & 7) << 3) | (((c >>> sh) & 7) << 6);
        } else {
          pattern = bytePattern(p, i + frontOffset, 1, sV);
        }
        const key = p[i] | (AO_TABLE[pattern] << 8);
        keys[v * S + u] = key;
        if (u === prevU + 1 && key === prevKey) same |= low;
        prevU = u;
        prevKey = key;
      }
    }
    sameLeft[v] = same;
  }
}

/** Keys and sameLeft masks of a +-X plane, AO from the bytes around the cell in front. */
function keysFromBytes(p: Uint8Array, pl: Int32Array, off: number, base: number, sU: number, sV: number, front: number): void {
  for (let v = 0; v < S; v++) {
    let m = pl[off + v];
    let same = 0;
    const rowBase = base + v * sV;
    let prevU = -2;
    let prevKey = -1;
    while (m !== 0) {
      const low = m & -m;
      const u = 31 - Math.clz32(low);
      m ^= low;
      const i = rowBase + u * sU;
      const key = p[i] | (AO_TABLE[bytePattern(p, i + front, sU, sV)] << 8);
      keys[v * S + u] = key;
      if (u === prevU + 1 && key === prevKey) same |= low;
      prevU = u;
      prevKey = key;
    }
    sameLeft[v] = same;
  }
}

/** AO_TABLE index for the 3x3 cells around padded index `f` with strides sU, sV. */
function bytePattern(p: Uint8Array, f: number, sU: number, sV: number): number {
  return (
    solid(p[f - sV - sU]) |
    (solid(p[f - sV]) << 1) |
    (solid(p[f - sV + sU]) << 2) |
    (solid(p[f - sU]) << 3) |
    (solid(p[f + sU]) << 5) |
    (solid(p[f + sV - sU]) << 6) |
    (solid(p[f + sV]) << 7) |
    (solid(p[f + sV + sU]) << 8)
  );
}

/** Greedy-merges the plane's faces with equal keys into quads; consumes the plane's bits. */
function mergePlane(pl: Int32Array, off: number, word0: number, shU: number, shV: number, n: number): number {
  for (let v = 0; v < S; v++) {
    let m = pl[off + v];
    const same = sameLeft[v];
    while (m !== 0) {
      const low = m & -m;
      const u0 = 31 - Math.clz32(low);
      const key = keys[v * S + u0];
      // Width: the unbroken run of unconsumed faces right of u0 whose key equals their left one.
      let w = 1;
      if (u0 < S - 1) {
        const stop = ~((same & m) >>> (u0 + 1)); // non-zero: the shift brings in zeros
        w += 31 - Math.clz32(stop & -stop);
      }
      const run = ((0xffffffff >>> (S - w)) << u0) | 0;
      const inner = run ^ low;
      m &= ~run;
      // Height: next rows whose run is all unconsumed, key-uniform and equal to ours.
      let h = 1;
      for (let r = v + 1; r < S; r++, h++) {
        const row = pl[off + r];
        if ((row & run) !== run || (sameLeft[r] & inner) !== inner || keys[r * S + u0] !== key) break;
        pl[off + r] = row & ~run;
      }
      if ((n + 1) * QUAD_WORDS > words.length) grow(n);
      const o = n * QUAD_WORDS;
      words[o] = word0 | (u0 << shU) | (v << shV) | ((w - 1) << 18) | ((h - 1) << 23);
      words[o + 1] = key;
      n++;
    }
  }
  return n;
}

/** Doubles the output buffer, keeping the `n` quads written so far. */
function grow(n: number): void {
  const next = new Uint32Array(Math.max(words.length * 2, MIN_CAPACITY_QUADS * QUAD_WORDS));
  // n is 0 when the caller's buffer was transferred (detached): nothing to keep.
  if (n > 0) next.set(words.subarray(0, n * QUAD_WORDS));
  words = next;
}
