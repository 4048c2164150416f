// Binary greedy mesher in C for WebAssembly (wasm32 + SIMD128): the material-merge modes of
// ../greedy.ts (MeshMode.ShaderAo and MeshMode.Plain), step for step, so its output is
// bit-identical to the TypeScript mesher's (the reference; test/shared/mesh/wasm.test.ts
// compares them). What differs is only how each step is computed:
// - row masks: 16 voxel bytes per i8x16 compare + bitmask instead of 4 per SWAR step;
// - same-material masks: one i8x16 compare of a row against itself shifted by one byte;
// - 32-bit ctz/clz and unsigned shifts are single instructions, not int32 workarounds.
// No libc and no allocation: every buffer is static, the memory never grows. The caller
// writes the padded 34^3 chunk to input(), calls mesh(mode), and reads quad_count() quads
// (quad.ts format) and side_words() words of spilled rings from output().
// Built by scripts/build-wasm.sh (flags there); the .wasm beside this file is its output.
#include <stdint.h>
#include <wasm_simd128.h>

typedef uint32_t u32;
typedef uint8_t u8;

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
static u32 quadCount;
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
  for (int r = 0, i = 1; r < P * P; r++, i += P) {
    v128_t a = wasm_v128_load(in + i);
    v128_t b = wasm_v128_load(in + i + 16);
    u32 air = (u32)wasm_i8x16_bitmask(wasm_i8x16_eq(a, zero)) | ((u32)wasm_i8x16_bitmask(wasm_i8x16_eq(b, zero)) << 16);
    rows[r] = ~air;
    any |= ~air;
  }
  return any;
}

/** Faces of all six directions (greedy.ts buildPlanes). */
static void buildPlanes(void) {
  u32* pl = planes;
  u32* pr = planeRows;
  for (int k = 0; k < 6 * S; k++) pr[k] = 0;
  u32 xPos = 0, xNeg = 0, zPos = 0, zNeg = 0, yPos = 0, yNeg = 0;
  for (int y = 0; y < S; y++) {
    const u32 yBit = 1u << y;
    u32 pyRows = 0, nyRows = 0, pxAt = 0, nxAt = 0;
    for (int z = 0, r = (y + 1) * P + 1; z < S; z++, r++) {
      const u32 c = rows[r];
      if (c == 0) continue;
      const u32 bit = 1u << z;
      const u32 py = c & ~rows[r + P];
      const u32 ny = c & ~rows[r - P];
      const u32 pz = c & ~rows[r + 1];
      const u32 nz = c & ~rows[r - 1];
      if (py) { pl[2 * S * S + y * S + z] = py; pyRows |= bit; }
      if (ny) { pl[3 * S * S + y * S + z] = ny; nyRows |= bit; }
      if (pz) { pl[4 * S * S + z * S + y] = pz; pr[4 * S + z] |= yBit; }
      if (nz) { pl[5 * S * S + z * S + y] = nz; pr[5 * S + z] |= yBit; }
      const int i = ORIGIN + y * SY + z * P;
      u32 pos = c & ~((c >> 1) | (solid(in[i + S]) << 31));
      u32 neg = c & ~((c << 1) | solid(in[i - 1]));
      pxAt |= pos;
      nxAt |= neg;
      for (; pos; pos &= pos - 1) pl[ctz(pos) * S + y] |= bit;
      for (; neg; neg &= neg - 1) pl[S * S + ctz(neg) * S + y] |= bit;
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
  if (u0 >= S - 1) return 1;
  return 1 + (int)ctz(~((same & m) >> (u0 + 1)));
}

/** Ring bits of a ring of <= 31 cells from the bytes (greedy.ts ringBits). */
static u32 ringBits(int f, int sU, int sV, int w, int h) {
  u32 bits = 0;
  int b = 0;
  for (int u = -1, i = f - sV - sU; u <= w; u++, i += sU) bits |= solid(in[i]) << b++;
  for (int u = -1, i = f + h * sV - sU; u <= w; u++, i += sU) bits |= solid(in[i]) << b++;
  for (int v = 0, i = f - sU; v < h; v++, i += sV) bits |= solid(in[i]) << b++;
  for (int v = 0, i = f + w * sU; v < h; v++, i += sV) bits |= solid(in[i]) << b++;
  return bits;
}

/** Ring bits from the row masks (greedy.ts ringFromRows). */
static u32 ringFromRows(int r0, int step, int u0, int w, int h) {
  const int lo = u0 - 1;
  const int span = w + 2;
  const u32 mask = (1u << span) - 1;
  u32 bits = ((rows[r0 - step] >> lo) & mask) | (((rows[r0 + h * step] >> lo) & mask) << span);
  int b = 2 * span;
  for (int j = 0, r = r0; j < h; j++, r += step) bits |= ((rows[r] >> lo) & 1) << b++;
  for (int j = 0, r = r0, hi = u0 + w; j < h; j++, r += step) bits |= ((rows[r] >> hi) & 1) << b++;
  return bits;
}

static void ringSpill(int f, int sU, int sV, int w, int h) {
  const int len = 2 * (w + h) + 4;
  const u32 need = sideWords + (u32)((len + 31) >> 5);
  for (u32 k = sideWords; k < need; k++) side[k] = 0;
  u32 b = sideWords << 5;
  for (int u = -1, i = f - sV - sU; u <= w; u++, i += sU, b++) side[b >> 5] |= solid(in[i]) << (b & 31);
  for (int u = -1, i = f + h * sV - sU; u <= w; u++, i += sU, b++) side[b >> 5] |= solid(in[i]) << (b & 31);
  for (int v = 0, i = f - sU; v < h; v++, i += sV, b++) side[b >> 5] |= solid(in[i]) << (b & 31);
  for (int v = 0, i = f + w * sU; v < h; v++, i += sV, b++) side[b >> 5] |= solid(in[i]) << (b & 31);
  sideWords = need;
}

static u32 ringField(int f, int u0, int v0, int w, int h, u32 quad) {
  const int len = 2 * (w + h) + 4;
  if (len <= INLINE_BITS) {
    if (frontRow0 >= 0 && u0 > 0 && u0 + w < S) return ringFromRows(frontRow0 + v0 * frontRowStep, frontRowStep, u0, w, h);
    return ringBits(f, planeSU, planeSV, w, h);
  }
  spilled[spillCount++] = quad;
  const u32 start = sideWords;
  ringSpill(f, planeSU, planeSV, w, h);
  return SPILL_FIELD | start;
}

static u32 mergeMaterial(u32* pl, u32 word0, int shU, int shV, u32 n, u32 rb) {
  const int sU = planeSU, sV = planeSV;
  const int rings = mode == SHADER_AO;
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
        if ((row & run) != run || (sameLeft[r] & inner) != inner || in[at + r * sV] != mat) break;
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
    frontRow0 = axis == 0 ? -1 : here + frontStep;
    frontRowStep = rowStep;
    const u32 rb = planeRows[face * S + d];
    rowEnd = 32 - __builtin_clz(rb);
    if (axis == 0) sameFromBytes(pl, rb);
    else sameFromRows(pl, here, rowStep, rb);
    n = mergeMaterial(pl, word0, shU, shV, n, rb);
  }
  return n;
}

__attribute__((export_name("input"))) u8* input(void) { return in; }
__attribute__((export_name("output"))) u32* output(void) { return out; }
__attribute__((export_name("face_counts"))) u32* face_counts(void) { return faceCounts; }
__attribute__((export_name("side_words"))) u32 side_words(void) { return sideWords; }

/** Meshes the chunk in input() in `meshMode` (1 = ShaderAo, 2 = Plain); returns the quad count. */
__attribute__((export_name("mesh"))) u32 mesh(int meshMode) {
  mode = meshMode;
  sideWords = 0;
  spillCount = 0;
  u32 n = 0;
  for (int f = 0; f < 6; f++) faceCounts[f] = 0;
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
  quadCount = n;
  return n;
}
