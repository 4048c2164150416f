// Binary greedy mesher in C for WebAssembly (wasm32 + SIMD128): the material-merge modes of
// ../greedy.ts (MeshMode.ShaderAo and MeshMode.Plain), step for step, so its output is
// bit-identical to the TypeScript mesher's (the reference; test/shared/mesh/wasm.test.ts
// compares them: change both together). What differs is only how each step is computed:
// - row masks: 16 voxel bytes per i8x16 compare + bitmask instead of 4 per SWAR step;
// - +-Y/+-Z faces: four rows per i32x4 step, with no branch per row;
// - same-material masks: one i8x16 compare of a row against itself shifted by one byte;
// - front rings: shifts of row masks and of column masks (32 x 32 bit transposes of the row
//   masks, four rows per vector), instead of a loop over the ring's cells;
// - 32-bit ctz and unsigned shifts are single instructions, not int32 workarounds.
// No libc and no allocation: every buffer is static and sized for the largest possible mesh,
// so the memory never grows. The caller writes the padded 34^3 chunk to input(), calls
// mesh(mode), which returns the quad count, and reads the quads (quad.ts format) and then
// side_words() words of spilled rings from output(), whose capacity is output_words().
// Built by scripts/build-wasm.sh (flags there); the .wasm beside this file is its output.
#include <stdint.h>
#include <wasm_simd128.h>

typedef uint32_t u32;
typedef uint8_t u8;
typedef uint64_t u64;

#define P 34
#define S 32
#define SY (P * P)
#define ORIGIN (1 + P + SY)
#define PV (P * P * P)
#define QW 2
#define INLINE_BITS 23
#define SPILL_FIELD 0x800000u
#define SHADER_AO 1
// At most 3 * 31 * 32 * 32 + 6 * 32 * 32 exposed faces (every voxel pair across a face, and
// every border face, solid against air), so at most that many quads; a spilled ring covers at
// least 9 faces (w + h >= 10) and takes at most 5 words.
#define MAX_QUADS 101376
#define MAX_SIDE_WORDS (MAX_QUADS / 9 * 5 + 5)
#define OUT_WORDS (MAX_QUADS * QW + MAX_SIDE_WORDS)

// Input: the padded chunk, plus slack so 16-byte loads near the end stay inside.
static u8 in[PV + 32] __attribute__((aligned(16)));
// Output: quads, then the spilled rings.
static u32 out[OUT_WORDS];
static u32 faceCounts[6];
static u32 sideWords;

// Scratch (see greedy.ts for each one's meaning).
static u32 rows[P * P];
static u32 planes[6 * S * S];
static u32 planeRows[6 * S];
static u32 slices[6];
static u32 sameLeft[S];
static u32 side[MAX_SIDE_WORDS];
static u32 spilled[MAX_QUADS / 9 + 1];
static u32 spillCount;
static int mode;
static int planeBase, planeSU, planeSV, planeFront;
static int rowEnd, frontRow0, frontRowStep;

static inline u32 ctz(u32 x) { return (u32)__builtin_ctz(x); }
static inline u32 solid(u8 b) { return b != 0; }

/** Interior solid mask of every padded row (16 bytes per compare); returns their OR. */
static u32 buildRows(void) {
  const v128_t zero = wasm_i8x16_splat(0);
  u32 any = 0;
  for (int py = 0, r = 0, i = 1; py < P; py++) {
    for (int pz = 0; pz < P; pz++, r++, i += P) {
      v128_t a = wasm_v128_load(in + i);
      v128_t b = wasm_v128_load(in + i + 16);
      u32 air = (u32)wasm_i8x16_bitmask(wasm_i8x16_eq(a, zero)) | ((u32)wasm_i8x16_bitmask(wasm_i8x16_eq(b, zero)) << 16);
      rows[r] = ~air;
      any |= ~air;
    }
  }
  return any;
}

/** Faces of all six directions (greedy.ts buildPlanes). */
static void buildPlanes(void) {
  u32* pl = planes;
  u32* pr = planeRows;
  for (int k = 0; k < 6 * S; k++) pr[k] = 0;
  u32 xPos = 0, xNeg = 0, zPos = 0, zNeg = 0, yPos = 0, yNeg = 0;
  const v128_t zero = wasm_i32x4_splat(0);
  for (int y = 0; y < S; y++) {
    const u32 yBit = 1u << y;
    u32 pyRows = 0, nyRows = 0, pxAt = 0, nxAt = 0;
    // Four rows (z .. z + 3) per step: their +-Y and +-Z faces by vector and-nots, no branch
    // per row; the planes take zeros where a row has no face (they are zero there already).
    for (int z = 0, r = (y + 1) * P + 1; z < S; z += 4, r += 4) {
      const v128_t c = wasm_v128_load(rows + r);
      if (!wasm_v128_any_true(c)) continue;
      const v128_t py = wasm_v128_andnot(c, wasm_v128_load(rows + r + P));
      const v128_t ny = wasm_v128_andnot(c, wasm_v128_load(rows + r - P));
      const v128_t pz = wasm_v128_andnot(c, wasm_v128_load(rows + r + 1));
      const v128_t nz = wasm_v128_andnot(c, wasm_v128_load(rows + r - 1));
      wasm_v128_store(pl + 2 * S * S + y * S + z, py);
      wasm_v128_store(pl + 3 * S * S + y * S + z, ny);
      pyRows |= (u32)wasm_i32x4_bitmask(wasm_i32x4_ne(py, zero)) << z;
      nyRows |= (u32)wasm_i32x4_bitmask(wasm_i32x4_ne(ny, zero)) << z;
      const u32 pzAt = (u32)wasm_i32x4_bitmask(wasm_i32x4_ne(pz, zero));
      const u32 nzAt = (u32)wasm_i32x4_bitmask(wasm_i32x4_ne(nz, zero));
      u32 lanes[4];
      if (pzAt) {
        wasm_v128_store(lanes, pz);
        for (int k = 0; k < 4; k++) {
          pl[4 * S * S + (z + k) * S + y] = lanes[k];
          pr[4 * S + z + k] |= ((pzAt >> k) & 1) << y;
        }
      }
      if (nzAt) {
        wasm_v128_store(lanes, nz);
        for (int k = 0; k < 4; k++) {
          pl[5 * S * S + (z + k) * S + y] = lanes[k];
          pr[5 * S + z + k] |= ((nzAt >> k) & 1) << y;
        }
      }
      // +-X: shifts inside each row, the padding bytes at x = -1 and x = 32 carried in.
      wasm_v128_store(lanes, c);
      for (int k = 0; k < 4; k++) {
        const u32 row = lanes[k];
        if (row == 0) continue;
        const u32 bit = 1u << (z + k);
        const int i = ORIGIN + y * SY + (z + k) * P;
        u32 pos = row & ~((row >> 1) | (solid(in[i + S]) << 31));
        u32 neg = row & ~((row << 1) | solid(in[i - 1]));
        pxAt |= pos;
        nxAt |= neg;
        for (; pos; pos &= pos - 1) pl[ctz(pos) * S + y] |= bit;
        for (; neg; neg &= neg - 1) pl[S * S + ctz(neg) * S + y] |= bit;
      }
    }
    pr[2 * S + y] = pyRows;
    pr[3 * S + y] = nyRows;
    if (pyRows) yPos |= yBit;
    if (nyRows) yNeg |= yBit;
    xPos |= pxAt;
    xNeg |= nxAt;
    for (; pxAt; pxAt &= pxAt - 1) pr[ctz(pxAt)] |= yBit;
    for (; nxAt; nxAt &= nxAt - 1) pr[S + ctz(nxAt)] |= yBit;
  }
  for (int d = 0; d < S; d++) {
    if (pr[4 * S + d]) zPos |= 1u << d;
    if (pr[5 * S + d]) zNeg |= 1u << d;
  }
  slices[0] = xPos; slices[1] = xNeg; slices[2] = yPos; slices[3] = yNeg; slices[4] = zPos; slices[5] = zNeg;
}

/** Bit x set when voxel x of padded row r has the same byte as voxel x - 1. */
static inline u32 sameBytesLeft(int r) {
  const u8* p = in + P * r + 1;
  u32 lo = (u32)wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p), wasm_v128_load(p - 1)));
  u32 hi = (u32)wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p + 16), wasm_v128_load(p + 15)));
  return lo | (hi << 16);
}

static void sameFromRows(const u32* pl, int here, int rowStep, u32 rb) {
  for (; rb; rb &= rb - 1) {
    const int v = (int)ctz(rb);
    const u32 m = pl[v];
    const u32 pairs = m & (m << 1);
    sameLeft[v] = pairs ? pairs & sameBytesLeft(here + v * rowStep) : 0;
  }
}

static void sameFromBytes(const u32* pl, u32 rb) {
  const int sU = planeSU;
  for (; rb; rb &= rb - 1) {
    const int v = (int)ctz(rb);
    u32 m = pl[v];
    u32 same = 0;
    const int rowBase = planeBase + v * planeSV;
    int prevU = -2;
    int prevMat = -1;
    while (m) {
      const u32 low = m & -m;
      const int u = (int)ctz(m);
      m ^= low;
      const int mat = in[rowBase + u * sU];
      if (u == prevU + 1 && mat == prevMat) same |= low;
      prevU = u;
      prevMat = mat;
    }
    sameLeft[v] = same;
  }
}

static inline int runWidth(u32 m, u32 same, int u0) {
  // In 64 bits the shift by up to 32 is defined and brings in zeros: no case for u0 = 31.
  return 1 + (int)__builtin_ctzll(~((u64)(same & m) >> (u0 + 1)));
}

// A quad's front ring in four segments, in quad.ts bit order: the row below (v = -1) and the
// row above (v = h), u = -1..w (span = w + 2 cells each), then the column left (u = -1) and
// the column right (u = w), v = 0..h-1. Each segment is gathered into a number first, so a
// ring costs a few shifts per segment instead of a read-modify-write per cell.
typedef struct { u64 below, above; u32 left, right; } Ring;

/** Solid bits of `n` (<= 34) cells from byte index i, stride `step`. */
static inline u64 strideBits(int i, int step, int n) {
  u64 bits = 0;
  for (int k = 0; k < n; k++, i += step) bits |= (u64)solid(in[i]) << k;
  return bits;
}

/** The segments from the bytes; f = padded index of the cell in front of the quad's minimum face. */
static inline void segmentsFromBytes(Ring* g, int f, int w, int h) {
  const int sU = planeSU, sV = planeSV;
  g->below = strideBits(f - sV - sU, sU, w + 2);
  g->above = strideBits(f + h * sV - sU, sU, w + 2);
  u32 left = 0, right = 0;
  for (int j = 0, i = f; j < h; j++, i += sV) {
    left |= solid(in[i - sU]) << j;
    right |= solid(in[i + w * sU]) << j;
  }
  g->left = left;
  g->right = right;
}

// Column masks, the row masks transposed 32 x 32 at a time, built per layer on first use:
// colsZ[py * S + x] bit z: voxel (x, py - 1, z) is solid (z, x interior); colsY[pz * S + x]
// bit y: voxel (x, y, pz - 1) is solid. With them every ring segment off the chunk's edges is
// a shift and a mask: no per-cell loop, whose varying trip counts cost a branch miss or two
// per quad.
static u32 colsZ[P * S];
static u32 colsY[P * S];
static u8 haveZ[P], haveY[P];

/** dst[j] bit i = src[i * stride] bit j for 32 rows (block swaps of 16, 8, 4, 2, 1; 4 rows per vector). */
static void transpose32(const u32* src, int stride, u32* dst) {
  v128_t v[8];
  if (stride == 1) {
    for (int k = 0; k < 8; k++) v[k] = wasm_v128_load(src + 4 * k);
  } else {
    for (int k = 0, i = 0; k < 8; k++, i += 4 * stride) v[k] = wasm_i32x4_make(src[i], src[i + stride], src[i + 2 * stride], src[i + 3 * stride]);
  }
  // Blocks of 16, 8, 4 rows: partner rows sit in the same lane of another vector.
  for (int s = 16, m = 0x0000ffff; s >= 4; m ^= m << (s >> 1), s >>= 1) {
    const v128_t mask = wasm_i32x4_splat(m);
    for (int k = 0; k < 8; k++) {
      if ((4 * k) & s) continue;
      const int q = k + s / 4;
      const v128_t t = wasm_v128_and(wasm_v128_xor(wasm_u32x4_shr(v[k], s), v[q]), mask);
      v[q] = wasm_v128_xor(v[q], t);
      v[k] = wasm_v128_xor(v[k], wasm_i32x4_shl(t, s));
    }
  }
  // Blocks of 2 (lanes 0, 1 with 2, 3) and 1 (lanes 0, 2 with 1, 3) inside each vector.
  const v128_t m2 = wasm_i32x4_splat(0x33333333), m1 = wasm_i32x4_splat(0x55555555);
  for (int k = 0; k < 8; k++) {
    v128_t a = v[k];
    v128_t p = wasm_i32x4_shuffle(a, a, 2, 3, 0, 1);
    v128_t t = wasm_v128_and(wasm_v128_xor(wasm_u32x4_shr(a, 2), p), m2); // valid in lanes 0, 1
    v128_t lo = wasm_v128_xor(a, wasm_i32x4_shl(t, 2));
    v128_t hi = wasm_v128_xor(a, wasm_i32x4_shuffle(t, t, 2, 3, 0, 1));
    a = wasm_i32x4_shuffle(lo, hi, 0, 1, 6, 7);
    p = wasm_i32x4_shuffle(a, a, 1, 0, 3, 2);
    t = wasm_v128_and(wasm_v128_xor(wasm_u32x4_shr(a, 1), p), m1); // valid in lanes 0, 2
    lo = wasm_v128_xor(a, wasm_i32x4_shl(t, 1));
    hi = wasm_v128_xor(a, wasm_i32x4_shuffle(t, t, 1, 0, 3, 2));
    v[k] = wasm_i32x4_shuffle(lo, hi, 0, 5, 2, 7);
  }
  for (int k = 0; k < 8; k++) wasm_v128_store(dst + 4 * k, v[k]);
}

/** colsZ of padded layer py. */
static inline const u32* layerZ(int py) {
  if (!haveZ[py]) {
    transpose32(rows + py * P + 1, 1, colsZ + py * S);
    haveZ[py] = 1;
  }
  return colsZ + py * S;
}

/** colsY of padded layer pz. */
static inline const u32* layerY(int pz) {
  if (!haveY[pz]) {
    transpose32(rows + P + pz, P, colsY + pz * S);
    haveY[pz] = 1;
  }
  return colsY + pz * S;
}

/** Ring kind of the plane being merged: 0 = +-X, 1 = +-Y, 2 = +-Z; -1 = +-X with its front plane in the padding (bytes only). */
static int ringAxis;
/** The front plane: padded y (+-Y) or z (+-Z) layer, or x (+-X). */
static int frontLayer;
/** +-Y/+-Z: the front plane's column masks (colsZ or colsY layer), built when the plane is merged. */
static const u32* frontCols;

/**
 * The segments from the row and column masks, for a quad whose ring lies inside the chunk
 * along U (u0 > 0, u0 + w < 32); `r0` = rows[] index of the front row of the quad's first
 * plane row (+-Y/+-Z).
 */
static inline void segmentsFromMasks(Ring* g, int r0, int u0, int v0, int w, int h) {
  const int lo = u0 - 1, hi = u0 + w;
  const u64 mask = ((u64)1 << (w + 2)) - 1;
  const u32 hMask = (u32)(((u64)1 << h) - 1);
  if (ringAxis == 0) {
    const int x = frontLayer;
    g->below = (layerZ(v0)[x] >> lo) & mask;
    g->above = (layerZ(v0 + h + 1)[x] >> lo) & mask;
    g->left = (layerY(lo + 1)[x] >> v0) & hMask;
    g->right = (layerY(hi + 1)[x] >> v0) & hMask;
    return;
  }
  const int step = frontRowStep;
  g->below = (rows[r0 - step] >> lo) & mask;
  g->above = (rows[r0 + h * step] >> lo) & mask;
  const u32* cols = frontCols;
  g->left = (cols[lo] >> v0) & hMask;
  g->right = (cols[hi] >> v0) & hMask;
}

/** Bits not yet written to `side` while a ring spills. */
typedef struct { u64 acc; u32 n; } Spill;

/** Appends `n` (<= 32) bits to the spilled rings in `side`. */
static inline void spillPut(Spill* sp, u32 bits, u32 n) {
  sp->acc |= (u64)bits << sp->n;
  sp->n += n;
  if (sp->n >= 32) {
    side[sideWords++] = (u32)sp->acc;
    sp->acc >>= 32;
    sp->n -= 32;
  }
}

/** Word 1 bits 8..31 >> 8 for a quad's front ring (greedy.ts ringField): inline, or spilled to `side`. */
static inline u32 ringField(int f, int u0, int v0, int w, int h, u32 quad) {
  Ring g;
  if (ringAxis >= 0 && u0 > 0 && u0 + w < S) segmentsFromMasks(&g, frontRow0 + v0 * frontRowStep, u0, v0, w, h);
  else segmentsFromBytes(&g, f, w, h);
  const int span = w + 2;
  if (2 * (span + h) <= INLINE_BITS) {
    return (u32)g.below | ((u32)g.above << span) | (g.left << 2 * span) | (g.right << (2 * span + h));
  }
  spilled[spillCount++] = quad;
  const u32 start = sideWords;
  Spill sp = { 0, 0 };
  const u32 first = span < 32 ? (u32)span : 32;
  spillPut(&sp, (u32)g.below, first);
  if (span > 32) spillPut(&sp, (u32)(g.below >> 32), span - 32);
  spillPut(&sp, (u32)g.above, first);
  if (span > 32) spillPut(&sp, (u32)(g.above >> 32), span - 32);
  spillPut(&sp, g.left, h);
  spillPut(&sp, g.right, h);
  if (sp.n > 0) side[sideWords++] = (u32)sp.acc;
  return SPILL_FIELD | start;
}

static inline __attribute__((always_inline)) u32 mergeMaterial(u32* pl, u32 word0, int shU, int shV, u32 n, u32 rb, const int rings) {
  const int sU = planeSU, sV = planeSV;
  const int end = rowEnd;
  for (; rb; rb &= rb - 1) {
    const int v = (int)ctz(rb);
    u32 m = pl[v];
    if (!m) continue;
    pl[v] = 0;
    const u32 same = sameLeft[v];
    while (m) {
      const u32 low = m & -m;
      const int u0 = (int)ctz(m);
      const int at = planeBase + u0 * sU;
      const u32 mat = in[at + v * sV];
      const int w = runWidth(m, same, u0);
      const u32 run = (0xffffffffu >> (S - w)) << u0;
      const u32 inner = run ^ low;
      m &= ~run;
      int h = 1;
      for (int r = v + 1; r < end; r++, h++) {
        const u32 row = pl[r];
        // One branch for the three tests: the row's run is free, material-uniform, and ours.
        if ((((row & run) ^ run) | ((sameLeft[r] & inner) ^ inner) | (in[at + r * sV] ^ mat)) != 0) break;
        pl[r] = row & ~run;
      }
      const u32 o = n * QW;
      out[o] = word0 | ((u32)u0 << shU) | ((u32)v << shV) | ((u32)(w - 1) << 18) | ((u32)(h - 1) << 23);
      out[o + 1] = rings ? mat | (ringField(at + v * sV + planeFront, u0, v, w, h, n) << 8) : mat;
      n++;
    }
  }
  return n;
}

static u32 meshFaces(int face, u32 n) {
  const int axis = face >> 1;
  const int sign = (face & 1) == 0 ? 1 : -1;
  const int sN = axis == 0 ? 1 : axis == 1 ? SY : P;
  planeSU = axis == 0 ? P : 1;
  planeSV = axis == 1 ? P : SY;
  planeFront = sign * sN;
  const int shN = axis == 0 ? 0 : axis == 1 ? 6 : 12;
  const int shU = axis == 0 ? 12 : 0;
  const int shV = axis == 1 ? 12 : 6;
  const int rowStep = axis == 1 ? 1 : P;
  const int frontStep = axis == 1 ? sign * P : sign;
  for (u32 bits = slices[face]; bits; bits &= bits - 1) {
    const int d = (int)ctz(bits);
    u32* pl = planes + (face * S + d) * S;
    planeBase = ORIGIN + d * sN;
    const u32 word0 = ((u32)d << shN) | ((u32)face << 28);
    const int here = axis == 1 ? (d + 1) * P + 1 : P + d + 1;
    frontRow0 = here + frontStep;
    frontRowStep = rowStep;
    // Front plane: x = d + sign (in the padding for d = 0 of -X and d = 31 of +X), or padded layer d + 1 + sign.
    frontLayer = axis == 0 ? d + sign : d + 1 + sign;
    ringAxis = axis == 0 && (frontLayer < 0 || frontLayer >= S) ? -1 : axis;
    if (mode == SHADER_AO && axis != 0) frontCols = axis == 1 ? layerZ(frontLayer) : layerY(frontLayer);
    const u32 rb = planeRows[face * S + d];
    rowEnd = 32 - __builtin_clz(rb);
    if (axis == 0) sameFromBytes(pl, rb);
    else sameFromRows(pl, here, rowStep, rb);
    n = mode == SHADER_AO ? mergeMaterial(pl, word0, shU, shV, n, rb, 1) : mergeMaterial(pl, word0, shU, shV, n, rb, 0);
  }
  return n;
}

__attribute__((export_name("input"))) u8* input(void) { return in; }
__attribute__((export_name("output"))) u32* output(void) { return out; }
__attribute__((export_name("output_words"))) u32 output_words(void) { return OUT_WORDS; }
__attribute__((export_name("face_counts"))) u32* face_counts(void) { return faceCounts; }
__attribute__((export_name("side_words"))) u32 side_words(void) { return sideWords; }

/** Meshes the chunk in input() in `meshMode` (1 = ShaderAo, 2 = Plain); returns the quad count. */
__attribute__((export_name("mesh"))) u32 mesh(int meshMode) {
  mode = meshMode;
  sideWords = 0;
  spillCount = 0;
  u32 n = 0;
  for (int f = 0; f < 6; f++) faceCounts[f] = 0;
  for (int k = 0; k < P; k++) haveZ[k] = haveY[k] = 0;
  if (buildRows() != 0) {
    buildPlanes();
    for (int face = 0; face < 6; face++) {
      const u32 before = n;
      n = meshFaces(face, n);
      faceCounts[face] = n - before;
    }
  }
  if (sideWords > 0) {
    const u32 base = n * QW;
    for (u32 k = 0; k < sideWords; k++) out[base + k] = side[k];
    for (u32 k = 0; k < spillCount; k++) {
      const u32 o = spilled[k] * QW;
      out[o + 1] += (base - o) << 8;
    }
  }
  return n;
}
