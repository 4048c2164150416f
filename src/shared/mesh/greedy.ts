// Binary greedy mesher: padded chunk bytes in, packed quads (quad.ts format) out.
//
// 1. One pass over the padded bytes builds a 32-bit solid mask per (y, z) row along x, 32
//    voxels per straight-line step of 8 DataView loads, with fast paths for all-air and
//    all-solid rows (most of a terrain chunk).
// 2. Face culling is bitwise, all six directions in one pass over the rows: +Y/-Y and +Z/-Z
//    compare whole rows (row & ~rowAbove), +X/-X shift inside a row, with the padding bytes
//    at x = -1 and x = 32 as the carried-in bit. So chunk borders see their neighbours: no
//    holes and no hidden faces between chunks. Only slices with faces are meshed, and in
//    them only the rows with faces (a bit per plane row, set in the same pass).
// 3. For each face direction and slice, a 32x32 bit plane (rows along V, bits along U) gets,
//    per row, a mask of the faces that may merge with their left neighbour ("sameLeft"):
//    - MeshMode.VertexAo: equal keys, key = material | AO << 8 (exactly quad word 1). AO
//      reads the 3x3 neighbourhood in the plane in front of the face: from the row masks for
//      +-Y/+-Z faces (their U axis is x, the row axis), from the bytes for +-X faces.
//    - ShaderAo and Plain: equal material. For +-Y/+-Z planes that is pure bit arithmetic:
//      adjacent exposed faces AND a per-row "same byte as x - 1" mask, computed 4 bytes at a
//      time (XOR, zero-byte test) once per row and call; a row with only one or two adjacent
//      pairs compares their bytes instead. +-X planes compare bytes per face.
// 4. Greedy merge inside the plane: grow along U while the faces may merge, then along V
//    while a whole run of the next row matches. Both tests are bit operations on per-row
//    masks, so the merge costs per quad, not per face. In VertexAo mode equal keys mean equal
//    material and 4-corner AO; neighbouring faces share their edge vertices, so a merged
//    quad's AO is constant along every direction it was merged in, and interpolating its four
//    corners shows exactly what the 1x1 faces would have shown.
// 5. ShaderAo: every quad also gets its front ring (quad.ts), the solid bits around its
//    footprint in the front plane: inline in word 1 when they fit, else spilled after the
//    quads. From it the fragment shader rebuilds each face's 3x3 front neighbourhood.
// wasm/greedy.c ports the ShaderAo and Plain modes to WebAssembly (wasm-greedy.ts), which the
// client's and the server's mesh workers run; this file stays the reference, and
// test/shared/mesh/wasm.test.ts checks the port's output is identical: change both together.
import { PADDED_SIZE, PADDED_VOLUME } from "../voxel/constants.ts";
import { Face, MeshMode, QUAD_WORDS, RING_INLINE_BITS, RING_SPILL } from "./quad.ts";
import type { MeshModeId } from "./quad.ts";

/** Reusable output of meshChunk; pass the same one to every call (per worker) to avoid allocation. */
export interface MeshOutput {
  /**
   * Packed quads in words [0, quadCount * QUAD_WORDS), then `sideWords` words of spilled
   * rings (ShaderAo); longer than that, and replaced by a larger array when it fills up.
   */
  quads: Uint32Array<ArrayBuffer>;
  /** Quads written by the last call. */
  quadCount: number;
  /** Words after the quads that belong to the mesh (spilled front rings; 0 unless ShaderAo). */
  sideWords: number;
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
// Imported constants copied into module scope: the hot loops read plain locals.
const QW = QUAD_WORDS;
const INLINE_BITS = RING_INLINE_BITS;
const SPILL_FIELD = RING_SPILL >>> 8;
const VERTEX_AO = MeshMode.VertexAo;
const SHADER_AO = MeshMode.ShaderAo;
// Offsets of the face directions' planes in `planes` (Face order).
const OFF_NX = Face.NegX * S * S;
const OFF_PY = Face.PosY * S * S;
const OFF_NY = Face.NegY * S * S;
const OFF_PZ = Face.PosZ * S * S;
const OFF_NZ = Face.NegZ * S * S;
// Offsets of the same in `planeRows`.
const ROWS_NX = Face.NegX * S;
const ROWS_PY = Face.PosY * S;
const ROWS_NY = Face.NegY * S;
const ROWS_PZ = Face.PosZ * S;
const ROWS_NZ = Face.NegZ * S;

// Bit positions of x, y, z in quad word 0 (see quad.ts).
const SHIFT_X = 0;
const SHIFT_Y = 6;
const SHIFT_Z = 12;

// Module scratch, reused by every call. The mesher is synchronous, so one set per JS realm
// (page, worker, server thread) is enough.
/** rows[py * P + pz], padded py/pz 0..33: bit x set when voxel (x, py - 1, pz - 1) is solid. */
const rows = new Int32Array(P * P);
/** Per row: bit x set when voxel x has the same byte as voxel x - 1; valid where eqStamp[row] === stamp. */
const eqX = new Int32Array(P * P);
const eqStamp = new Int32Array(P * P);
let stamp = 0;
/**
 * Exposed faces of every direction and slice: plane (face, d) at offset (face * S + d) * S,
 * one row per V, bit u per U (see FACE_AXES: x faces [x][y] bit z, y faces [y][z] bit x,
 * z faces [z][y] bit x).
 */
const planes = new Int32Array(6 * S * S);
/** Per plane (face * S + d): bit v set when plane row v has an exposed face, so passes skip empty rows. */
const planeRows = new Int32Array(6 * S);
/** Per face direction: bit d set when slice d has an exposed face. */
const slices = new Int32Array(6);
/** False once every plane bit is consumed (the merges clear what they take): the next call skips the fill. */
let planesDirty = true;
/** Per plane row: bit u set when face u and face u - 1 are both exposed and may merge (stale on empty rows in material modes). */
const sameLeft = new Int32Array(S);
/** VertexAo: quad word 1 (material | AO << 8) of each exposed face of the current plane, [v * S + u]. */
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

// State of the call in progress (module-level so the helpers need fewer parameters).
const EMPTY = new Uint32Array(0);
let words: Uint32Array<ArrayBuffer> = EMPTY;
const EMPTY_BYTES = new Uint8Array(0);
let bytes: Uint8Array = EMPTY_BYTES;
let mode: MeshModeId = MeshMode.VertexAo;
// Reads 4 voxels at a time; rebuilt only when the input's buffer or offset changes (the
// offset is kept apart because reading it from a view of a detached buffer throws). It holds
// on to the last input buffer (34^3 bytes) between calls, which is harmless.
let view: DataView = new DataView(new ArrayBuffer(PADDED_VOLUME));
let viewOffset = 0;
// The plane being merged: padded byte index of its face (u, v) = base + u * sU + v * sV, and
// of the cell in front of that face: + front.
let planeBase = 0;
let planeSU = 0;
let planeSV = 0;
let planeFront = 0;
/** The plane being merged has no face in rows rowEnd..31. */
let rowEnd = 0;
/** +-Y/+-Z planes: rows[] index of the front row of plane row 0, and the step to the next (-1 for +-X planes). */
let frontRow0 = -1;
let frontRowStep = 0;
/** ShaderAo: rings too long for word 1, word-aligned per quad; copied after the quads at the end. */
let side = new Uint32Array(1024);
let sideWords = 0;
/** Quads whose ring spilled: their word 1 offsets are completed once the quad count is known. */
let spilled = new Int32Array(256);
let spillCount = 0;

const defaultOutput = createMeshOutput();

/** Creates a reusable mesh output with room for `initialQuads` quads (it grows on demand). */
export function createMeshOutput(initialQuads = 4096): MeshOutput {
  return {
    quads: new Uint32Array(Math.max(initialQuads, 1) * QUAD_WORDS),
    quadCount: 0,
    sideWords: 0,
    faceCounts: new Uint32Array(6),
  };
}

/** Words of a result's mesh: the quads and, in ShaderAo mode, the spilled rings after them. */
export function meshWords(result: MeshResult): number {
  return result.quadCount * QUAD_WORDS + result.sideWords;
}

/** An exact-size copy of a result's mesh words (meshWords), safe to transfer (Comlink.transfer) while the output is reused. */
export function copyQuads(result: MeshResult): Uint32Array<ArrayBuffer> {
  return result.quads.slice(0, meshWords(result));
}

/**
 * Greedy-meshes one chunk from its padded 34^3 bytes (layout of paddedIndex, material ids,
 * 0 = air) into packed quads, grouped by face in Face order; `meshMode` says what faces merge
 * by and what word 1 carries (quad.ts MeshMode). Allocation contract: nothing is allocated
 * per voxel or per quad; module scratch typed arrays are reused, and `out.quads` is reused
 * and only replaced by a larger array (doubling) when it fills up or was transferred
 * (detached). Without `out`, a module-level output is used: the next call overwrites it.
 */
export function meshChunk(padded: Uint8Array, out: MeshOutput = defaultOutput, meshMode: MeshModeId = MeshMode.VertexAo): MeshResult {
  if (padded.length < PADDED_VOLUME) throw new RangeError("meshChunk: padded array must hold 34^3 voxels");
  if (view.buffer !== padded.buffer || viewOffset !== padded.byteOffset) {
    view = new DataView(padded.buffer, padded.byteOffset, PADDED_VOLUME);
    viewOffset = padded.byteOffset;
  }
  words = out.quads;
  bytes = padded;
  mode = meshMode;
  sideWords = 0;
  spillCount = 0;
  if (++stamp > 0x3fffffff) {
    stamp = 1;
    eqStamp.fill(0);
  }
  let n = 0;
  const fc = out.faceCounts;
  fc.fill(0);
  // Nothing solid, padding included: no face.
  if (buildRows(view) !== 0) {
    buildPlanes(padded);
    for (let face = 0; face < 6; face++) {
      const before = n;
      n = meshFaces(padded, face, n);
      fc[face] = n - before;
    }
    planesDirty = false;
  }
  if (sideWords > 0) appendSide(n);
  out.quads = words;
  out.quadCount = n;
  out.sideWords = sideWords;
  words = EMPTY; // do not keep the caller's buffers alive from module scope
  bytes = EMPTY_BYTES;
  return out;
}

// Bit tricks in int32 arithmetic. x & -x and x & (x - 1) would do, but for x = -2^31 (bit 31,
// plane row or column 31, alone) -x and x - 1 leave the int32 range, V8's feedback then marks
// them as doubles, and the optimised loops convert through float64 on every step.
/** The lowest set bit of x, as a mask. */
function lowBit(x: number): number {
  return x & Math.imul(x, -1);
}

/** x without its lowest set bit. */
function dropLow(x: number): number {
  return x ^ (x & Math.imul(x, -1));
}

/** Index (0..31) of the lowest set bit of x (non-zero). */
function ctz(x: number): number {
  return 31 - Math.clz32(x & Math.imul(x, -1));
}

/** 1 for a solid voxel byte, 0 for air, without a branch. */
function solid(b: number): number {
  return (b + 255) >> 8;
}

/** nonZeroBytes of four solid voxels, as an int32. */
const ALL_FLAGS = 0x80808080 | 0;

/** Top bit of each of 4 voxel bytes set when the byte is non-zero. */
function nonZeroBytes(v: number): number {
  return (((v & 0x7f7f7f7f) + 0x7f7f7f7f) | v) & 0x80808080;
}

/** nonZeroBytes flags (bits 7, 15, 23, 31) -> 4 bits (0..3). */
function gather4(t: number): number {
  // Multiplying by 2^0 + 2^7 + 2^14 + 2^21 moves the 4 flags (bits 0, 8, 16, 24) to bits 21..24, carry-free.
  return (Math.imul(t >>> 7, 0x204081) >>> 21) & 15;
}

/** Packs every padded row's 32 interior voxels into a solid mask (one straight-line step per row). Returns the OR of all rows. */
function buildRows(dv: DataView): number {
  const rw = rows;
  let any = 0;
  // Row r = py * P + pz starts (x = -1) at byte P * r, so its interior at P * r + 1.
  for (let r = 0, i = 1; r < P * P; r++, i += P) {
    const a0 = dv.getUint32(i, true);
    const a1 = dv.getUint32(i + 4, true);
    const a2 = dv.getUint32(i + 8, true);
    const a3 = dv.getUint32(i + 12, true);
    const a4 = dv.getUint32(i + 16, true);
    const a5 = dv.getUint32(i + 20, true);
    const a6 = dv.getUint32(i + 24, true);
    const a7 = dv.getUint32(i + 28, true);
    let m = 0;
    if ((a0 | a1 | a2 | a3 | a4 | a5 | a6 | a7) !== 0) {
      const t0 = nonZeroBytes(a0);
      const t1 = nonZeroBytes(a1);
      const t2 = nonZeroBytes(a2);
      const t3 = nonZeroBytes(a3);
      const t4 = nonZeroBytes(a4);
      const t5 = nonZeroBytes(a5);
      const t6 = nonZeroBytes(a6);
      const t7 = nonZeroBytes(a7);
      if ((t0 & t1 & t2 & t3 & t4 & t5 & t6 & t7) === ALL_FLAGS) m = -1;
      else {
        m = gather4(t0) | (gather4(t1) << 4) | (gather4(t2) << 8) | (gather4(t3) << 12) |
          (gather4(t4) << 16) | (gather4(t5) << 20) | (gather4(t6) << 24) | (gather4(t7) << 28);
      }
    }
    rw[r] = m;
    any |= m;
  }
  return any;
}

/**
 * Culls the faces of all six directions in one pass over the interior rows: +-Y and +-Z
 * against the neighbouring rows, +-X by shifts inside the row with the padding bytes at
 * x = -1 and x = 32 carried in. Writes `planes` and `slices`.
 */
function buildPlanes(p: Uint8Array): void {
  const pl = planes;
  const pr = planeRows;
  const rw = rows;
  // Only non-empty plane rows are written below. The merges leave every plane zero; after
  // a call that did not finish (a throw), clear them.
  if (planesDirty) pl.fill(0);
  planesDirty = true;
  pr.fill(0);
  let xPos = 0;
  let xNeg = 0;
  let zPos = 0;
  let zNeg = 0;
  let yPos = 0;
  let yNeg = 0;
  for (let y = 0; y < S; y++) {
    const yBit = 1 << y;
    // Plane rows of this y: +-Y rows (bit z), and the x of +-X faces (each x's plane row y).
    let pyRows = 0;
    let nyRows = 0;
    let pxAt = 0;
    let nxAt = 0;
    for (let z = 0, r = (y + 1) * P + 1; z < S; z++, r++) {
      const c = rw[r];
      if (c === 0) continue;
      const bit = 1 << z;
      const py = c & ~rw[r + P];
      const ny = c & ~rw[r - P];
      const pz = c & ~rw[r + 1];
      const nz = c & ~rw[r - 1];
      if (py !== 0) {
        pl[OFF_PY + y * S + z] = py;
        pyRows |= bit;
      }
      if (ny !== 0) {
        pl[OFF_NY + y * S + z] = ny;
        nyRows |= bit;
      }
      if (pz !== 0) {
        pl[OFF_PZ + z * S + y] = pz;
        pr[ROWS_PZ + z] |= yBit;
      }
      if (nz !== 0) {
        pl[OFF_NZ + z * S + y] = nz;
        pr[ROWS_NZ + z] |= yBit;
      }
      const i = ORIGIN + y * SY + z * P;
      let pos = c & ~((c >>> 1) | (solid(p[i + S]) << 31)); // x = 32: neighbour chunk
      let neg = c & ~((c << 1) | solid(p[i - 1])); // x = -1: neighbour chunk
      pxAt |= pos;
      nxAt |= neg;
      for (; pos !== 0; pos = dropLow(pos)) pl[ctz(pos) * S + y] |= bit;
      for (; neg !== 0; neg = dropLow(neg)) pl[OFF_NX + ctz(neg) * S + y] |= bit;
    }
    pr[ROWS_PY + y] = pyRows;
    pr[ROWS_NY + y] = nyRows;
    if (pyRows !== 0) yPos |= yBit;
    if (nyRows !== 0) yNeg |= yBit;
    xPos |= pxAt;
    xNeg |= nxAt;
    for (; pxAt !== 0; pxAt = dropLow(pxAt)) pr[ctz(pxAt)] |= yBit;
    for (; nxAt !== 0; nxAt = dropLow(nxAt)) pr[ROWS_NX + ctz(nxAt)] |= yBit;
  }
  for (let d = 0; d < S; d++) {
    if (pr[ROWS_PZ + d] !== 0) zPos |= 1 << d;
    if (pr[ROWS_NZ + d] !== 0) zNeg |= 1 << d;
  }
  slices[0] = xPos;
  slices[1] = xNeg;
  slices[2] = yPos;
  slices[3] = yNeg;
  slices[4] = zPos;
  slices[5] = zNeg;
}

/** Meshes every non-empty slice of one face direction (FACE_AXES: x faces u = z, v = y; y faces u = x, v = z; z faces u = x, v = y); returns the new quad count. */
function meshFaces(p: Uint8Array, face: number, n: number): number {
  const axis = face >> 1;
  const sign = (face & 1) === 0 ? 1 : -1;
  // Padded strides of the slice (normal), U and V axes; shifts of the same in word 0.
  const sN = axis === 0 ? 1 : axis === 1 ? SY : P;
  planeSU = axis === 0 ? P : 1;
  planeSV = axis === 1 ? P : SY;
  planeFront = sign * sN;
  const shN = axis === 0 ? SHIFT_X : axis === 1 ? SHIFT_Y : SHIFT_Z;
  const shU = axis === 0 ? SHIFT_Z : SHIFT_X;
  const shV = axis === 1 ? SHIFT_Z : SHIFT_Y;
  // Row-index steps (rows[]) from plane row v to v + 1, and from a row to its front row.
  const rowStep = axis === 1 ? 1 : P;
  const frontStep = axis === 1 ? sign * P : sign;
  for (let bits = slices[face]; bits !== 0; bits = dropLow(bits)) {
    const d = ctz(bits);
    const off = (face * S + d) * S;
    planeBase = ORIGIN + d * sN;
    const word0 = (d << shN) | (face << 28);
    // Row index of plane row v = 0: (y = d, z = 0) for y faces, (y = 0, z = d) for z faces.
    const here = axis === 1 ? (d + 1) * P + 1 : P + d + 1;
    frontRow0 = axis === 0 ? -1 : here + frontStep;
    frontRowStep = rowStep;
    const rb = planeRows[face * S + d];
    rowEnd = 32 - Math.clz32(rb);
    if (mode === VERTEX_AO) {
      if (axis === 0) keysFromBytes(p, planes, off, rb);
      else keysFromRows(p, planes, off, here + frontStep, rowStep, rb);
      n = mergeKeys(planes, off, word0, shU, shV, n, rb);
    } else {
      if (axis === 0) sameFromBytes(p, planes, off, rb);
      else sameFromRows(p, planes, off, here, rowStep, rb);
      n = mergeMaterial(planes, off, word0, shU, shV, n, rb);
    }
  }
  return n;
}

/**
 * VertexAo keys and sameLeft masks of a +-Y/+-Z plane. The front plane's rows (front, and
 * the rows before and after it) give the 3x3 AO neighbourhood by shifts; the two edge
 * columns, whose neighbours are padding bytes outside the row masks, read the bytes.
 */
function keysFromRows(p: Uint8Array, pl: Int32Array, off: number, front: number, rowStep: number, rb: number): void {
  const sV = planeSV;
  const rw = rows;
  const sl = sameLeft;
  const ks = keys;
  for (; rb !== 0; rb = dropLow(rb)) {
    const v = ctz(rb);
    let m = pl[off + v];
    let same = 0;
    const f = front + v * rowStep;
    const a = rw[f - rowStep];
    const b = rw[f];
    const c = rw[f + rowStep];
    const rowBase = planeBase + v * sV;
    let prevU = -2;
    let prevKey = -1;
    while (m !== 0) {
      const low = lowBit(m);
      const u = 31 - Math.clz32(low);
      m ^= low;
      const i = rowBase + u;
      let pattern: number;
      if (u > 0 && u < S - 1) {
        const sh = u - 1;
        pattern = ((a >>> sh) & 7) | (((b >>> sh) & 7) << 3) | (((c >>> sh) & 7) << 6);
      } else {
        pattern = bytePattern(p, i + planeFront, 1, sV);
      }
      const key = p[i] | (AO_TABLE[pattern] << 8);
      ks[v * S + u] = key;
      if (u === prevU + 1 && key === prevKey) same |= low;
      prevU = u;
      prevKey = key;
    }
    sl[v] = same;
  }
}

/** VertexAo keys and sameLeft masks of a +-X plane, AO from the bytes around the cell in front. */
function keysFromBytes(p: Uint8Array, pl: Int32Array, off: number, rb: number): void {
  const sl = sameLeft;
  const ks = keys;
  const sU = planeSU;
  const sV = planeSV;
  for (; rb !== 0; rb = dropLow(rb)) {
    const v = ctz(rb);
    let m = pl[off + v];
    let same = 0;
    const rowBase = planeBase + v * sV;
    let prevU = -2;
    let prevKey = -1;
    while (m !== 0) {
      const low = lowBit(m);
      const u = 31 - Math.clz32(low);
      m ^= low;
      const i = rowBase + u * sU;
      const key = p[i] | (AO_TABLE[bytePattern(p, i + planeFront, sU, sV)] << 8);
      ks[v * S + u] = key;
      if (u === prevU + 1 && key === prevKey) same |= low;
      prevU = u;
      prevKey = key;
    }
    sl[v] = same;
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

/**
 * Material-only sameLeft masks of a +-Y/+-Z plane: adjacent faces AND the row's same-byte
 * mask; for one or two adjacent pairs (most rows), their bytes compared directly instead.
 */
function sameFromRows(p: Uint8Array, pl: Int32Array, off: number, here: number, rowStep: number, rb: number): void {
  const sl = sameLeft;
  const es = eqStamp;
  const st = stamp;
  for (; rb !== 0; rb = dropLow(rb)) {
    const v = ctz(rb);
    const m = pl[off + v];
    const pairs = m & (m << 1);
    const r = here + v * rowStep;
    const more = pairs & (pairs - 1);
    if (pairs === 0) sl[v] = 0;
    else if ((more & (more - 1)) !== 0 || es[r] === st) sl[v] = pairs & sameBytesLeft(r);
    else {
      // Row r's voxel x is padded byte P * r + 1 + x.
      const i = P * r + 1;
      let same = 0;
      for (let q = pairs; q !== 0; q = dropLow(q)) {
        const low = lowBit(q);
        const x = 31 - Math.clz32(low);
        if (p[i + x] === p[i + x - 1]) same |= low;
      }
      sl[v] = same;
    }
  }
}

/** Bit x set when voxel x of padded row `r` has the same byte as voxel x - 1 (4 bytes per step); cached per call. */
function sameBytesLeft(r: number): number {
  if (eqStamp[r] === stamp) return eqX[r];
  const dv = view;
  const i = P * r + 1;
  let m = 0;
  for (let k = 0; k < S; k += 4) {
    // Bytes x..x+3 against x-1..x+2: a zero byte of the XOR is an equal pair.
    const d = dv.getUint32(i + k, true) ^ dv.getUint32(i + k - 1, true);
    m |= (d === 0 ? 15 : ~gather4(nonZeroBytes(d)) & 15) << k;
  }
  eqX[r] = m;
  eqStamp[r] = stamp;
  return m;
}

/** Material-only sameLeft masks of a +-X plane, one byte comparison per exposed face. */
function sameFromBytes(p: Uint8Array, pl: Int32Array, off: number, rb: number): void {
  const sl = sameLeft;
  const sU = planeSU;
  for (; rb !== 0; rb = dropLow(rb)) {
    const v = ctz(rb);
    let m = pl[off + v];
    let same = 0;
    const rowBase = planeBase + v * planeSV;
    let prevU = -2;
    let prevMat = -1;
    while (m !== 0) {
      const low = lowBit(m);
      const u = 31 - Math.clz32(low);
      m ^= low;
      const mat = p[rowBase + u * sU];
      if (u === prevU + 1 && mat === prevMat) same |= low;
      prevU = u;
      prevMat = mat;
    }
    sl[v] = same;
  }
}

/** Width of the merge run starting at u0: the unbroken run of unconsumed faces right of u0 that may merge with their left one. */
function runWidth(m: number, same: number, u0: number): number {
  if (u0 >= S - 1) return 1;
  const stop = ~((same & m) >>> (u0 + 1)); // non-zero: the shift brings in zeros
  return 1 + (ctz(stop));
}

/** VertexAo: greedy-merges the plane's faces with equal keys into quads; consumes the plane's bits. */
function mergeKeys(pl: Int32Array, off: number, word0: number, shU: number, shV: number, n: number, rb: number): number {
  const sl = sameLeft;
  const ks = keys;
  let out = words;
  const end = rowEnd;
  for (; rb !== 0; rb = dropLow(rb)) {
    const v = ctz(rb);
    let m = pl[off + v];
    if (m === 0) continue; // taken by the quads of rows above
    pl[off + v] = 0;
    const same = sl[v];
    while (m !== 0) {
      const low = lowBit(m);
      const u0 = 31 - Math.clz32(low);
      const key = ks[v * S + u0];
      const w = runWidth(m, same, u0);
      const run = ((0xffffffff >>> (S - w)) << u0) | 0;
      const inner = run ^ low;
      m &= ~run;
      // Height: next rows whose run is all unconsumed, key-uniform and equal to ours.
      let h = 1;
      for (let r = v + 1; r < end; r++, h++) {
        const row = pl[off + r];
        if ((row & run) !== run || (sl[r] & inner) !== inner || ks[r * S + u0] !== key) break;
        pl[off + r] = row & ~run;
      }
      if ((n + 1) * QW > out.length) out = grow(n);
      const o = n * QW;
      out[o] = word0 | (u0 << shU) | (v << shV) | ((w - 1) << 18) | ((h - 1) << 23);
      out[o + 1] = key;
      n++;
    }
  }
  return n;
}

/** ShaderAo/Plain: greedy-merges the plane's faces of equal material into quads; consumes the plane's bits. */
function mergeMaterial(pl: Int32Array, off: number, word0: number, shU: number, shV: number, n: number, rb: number): number {
  const sl = sameLeft;
  let out = words;
  const p = bytes;
  const sU = planeSU;
  const sV = planeSV;
  const rings = mode === SHADER_AO;
  const end = rowEnd;
  for (; rb !== 0; rb = dropLow(rb)) {
    const v = ctz(rb);
    let m = pl[off + v];
    if (m === 0) continue; // taken by the quads of rows above
    pl[off + v] = 0;
    const same = sl[v];
    while (m !== 0) {
      const low = lowBit(m);
      const u0 = 31 - Math.clz32(low);
      const at = planeBase + u0 * sU;
      const mat = p[at + v * sV];
      const w = runWidth(m, same, u0);
      const run = ((0xffffffff >>> (S - w)) << u0) | 0;
      const inner = run ^ low;
      m &= ~run;
      // Height: next rows whose run is all unconsumed, material-uniform and of our material.
      let h = 1;
      for (let r = v + 1; r < end; r++, h++) {
        const row = pl[off + r];
        if ((row & run) !== run || (sl[r] & inner) !== inner || p[at + r * sV] !== mat) break;
        pl[off + r] = row & ~run;
      }
      if ((n + 1) * QW > out.length) out = grow(n);
      const o = n * QW;
      out[o] = word0 | (u0 << shU) | (v << shV) | ((w - 1) << 18) | ((h - 1) << 23);
      out[o + 1] = rings ? mat | (ringField(p, at + v * sV + planeFront, u0, v, w, h, n) << 8) : mat;
      n++;
    }
  }
  return n;
}

/**
 * Word 1 bits 8..31, shifted down to 0..23, for a quad's front ring (quad.ts): the ring
 * inline, or RING_SPILL's bit and the ring's start in `side` (completed to an offset by
 * appendSide). Always below 2^24, so the caller's `<< 8` and OR stay integer arithmetic. `f` is
 * the padded index of the cell in front of the quad's minimum face, (u0, v0) that face in
 * the plane, and `quad` the quad's index.
 */
function ringField(p: Uint8Array, f: number, u0: number, v0: number, w: number, h: number, quad: number): number {
  const len = 2 * (w + h) + 4;
  const sU = planeSU;
  const sV = planeSV;
  if (len <= INLINE_BITS) {
    // +-Y/+-Z rings off the chunk's x edges lie inside row masks: a shift per row.
    if (frontRow0 >= 0 && u0 > 0 && u0 + w < S) return ringFromRows(frontRow0 + v0 * frontRowStep, frontRowStep, u0, w, h);
    return ringBits(p, f, sU, sV, w, h);
  }
  if (spillCount === spilled.length) {
    const next = new Int32Array(spilled.length * 2);
    next.set(spilled);
    spilled = next;
  }
  spilled[spillCount++] = quad;
  const start = sideWords;
  ringSpill(p, f, sU, sV, w, h);
  return SPILL_FIELD | start;
}

/** Ring bits of a ring short enough for one number (<= 31 cells), in quad.ts order. */
function ringBits(p: Uint8Array, f: number, sU: number, sV: number, w: number, h: number): number {
  let bits = 0;
  let b = 0;
  // Rows v = -1 and v = h, u = -1..w.
  for (let u = -1, i = f - sV - sU; u <= w; u++, i += sU) bits |= solid(p[i]) << b++;
  for (let u = -1, i = f + h * sV - sU; u <= w; u++, i += sU) bits |= solid(p[i]) << b++;
  // Columns u = -1 and u = w, v = 0..h-1.
  for (let v = 0, i = f - sU; v < h; v++, i += sV) bits |= solid(p[i]) << b++;
  for (let v = 0, i = f + w * sU; v < h; v++, i += sV) bits |= solid(p[i]) << b++;
  return bits;
}

/** ringBits from the row masks, for a +-Y/+-Z quad whose ring has x in 0..31; `r0` = front row of the quad's first plane row. */
function ringFromRows(r0: number, step: number, u0: number, w: number, h: number): number {
  const rw = rows;
  const lo = u0 - 1;
  const span = w + 2;
  const mask = (1 << span) - 1;
  let bits = ((rw[r0 - step] >>> lo) & mask) | (((rw[r0 + h * step] >>> lo) & mask) << span);
  let b = 2 * span;
  for (let j = 0, r = r0; j < h; j++, r += step) bits |= ((rw[r] >>> lo) & 1) << b++;
  for (let j = 0, r = r0, hi = u0 + w; j < h; j++, r += step) bits |= ((rw[r] >>> hi) & 1) << b++;
  return bits;
}

/** Appends a long ring to `side`, 32 cells per word, starting at a word boundary. */
function ringSpill(p: Uint8Array, f: number, sU: number, sV: number, w: number, h: number): void {
  const len = 2 * (w + h) + 4;
  const need = sideWords + ((len + 31) >>> 5);
  if (need > side.length) {
    const next = new Uint32Array(Math.max(need, side.length * 2));
    next.set(side.subarray(0, sideWords));
    side = next;
  }
  const start = sideWords;
  side.fill(0, start, need);
  let b = start << 5;
  for (let u = -1, i = f - sV - sU; u <= w; u++, i += sU, b++) side[b >>> 5] |= solid(p[i]) << (b & 31);
  for (let u = -1, i = f + h * sV - sU; u <= w; u++, i += sU, b++) side[b >>> 5] |= solid(p[i]) << (b & 31);
  for (let v = 0, i = f - sU; v < h; v++, i += sV, b++) side[b >>> 5] |= solid(p[i]) << (b & 31);
  for (let v = 0, i = f + w * sU; v < h; v++, i += sV, b++) side[b >>> 5] |= solid(p[i]) << (b & 31);
  sideWords = need;
}

/** Copies the spilled rings after the `n` quads and turns each spilled quad's start into an offset from its word 0. */
function appendSide(n: number): void {
  const base = n * QW;
  if (base + sideWords > words.length) grow(n, base + sideWords);
  words.set(side.subarray(0, sideWords), base);
  for (let k = 0; k < spillCount; k++) {
    const o = spilled[k] * QW;
    // The field (bits 8..30) holds start; start + base - o < 2^23 for any 32^3 chunk.
    words[o + 1] += (base - o) << 8;
  }
}

/** Doubles the output buffer (or grows it to `minWords`), keeping the `n` quads written so far; returns it (now `words`). */
function grow(n: number, minWords = 0): Uint32Array<ArrayBuffer> {
  const next = new Uint32Array(Math.max(words.length * 2, MIN_CAPACITY_QUADS * QW, minWords));
  // n is 0 when the caller's buffer was transferred (detached): nothing to keep.
  if (n > 0) next.set(words.subarray(0, n * QW));
  words = next;
  return next;
}
