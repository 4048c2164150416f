// Seeded randomness for world generation. Client and server each generate the world from the
// seed, so every function here uses only 32-bit integer math (Math.imul, shifts) and IEEE
// + - * / and Math.floor, which give identical results on every JS engine. No Math.random,
// no Math.sin/exp (their last bits are implementation-defined).

/** Mulberry32 PRNG: tiny state, good enough statistics for placement decisions. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
}

/** Mixes a seed with a salt into a new 32-bit seed (for independent noise layers). */
export function deriveSeed(seed: number, salt: number): number {
  return mix32((seed ^ Math.imul(salt, 0x9e3779b9)) >>> 0);
}

/** Murmur3 finaliser: avalanches all 32 bits. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Unsigned 32-bit hash of an integer lattice point in 2D. */
export function hash2(seed: number, x: number, y: number): number {
  return mix32(seed ^ Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1));
}

/** Unsigned 32-bit hash of an integer lattice point in 3D. */
function hash3(seed: number, x: number, y: number, z: number): number {
  return mix32(seed ^ Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ Math.imul(z, 0x61c88647));
}

/** Quintic fade 6t^5 - 15t^4 + 10t^3: C2-continuous, so no creases between lattice cells. */
function fade(t: number): number {
  return t * t * t * (t * (t * 6 - 15) + 10);
}

// 8 gradient directions for 2D; the diagonals are not normalised (classic improved-Perlin
// trade-off) which keeps the math multiplication-free per corner.
function grad2(h: number, x: number, y: number): number {
  switch (h & 7) {
    case 0: return x + y;
    case 1: return -x + y;
    case 2: return x - y;
    case 3: return -x - y;
    case 4: return x;
    case 5: return -x;
    case 6: return y;
    default: return -y;
  }
}

// The 12 edge directions of a cube (Perlin's improved noise), indexed by h mod 16.
function grad3(h: number, x: number, y: number, z: number): number {
  const b = h & 15;
  const u = b < 8 ? x : y;
  const v = b < 4 ? y : b === 12 || b === 14 ? x : z;
  return ((b & 1) === 0 ? u : -u) + ((b & 2) === 0 ? v : -v);
}

/** 2D gradient noise, roughly in [-1, 1], zero at lattice points. */
function noise2(seed: number, x: number, y: number): number {
  const fx = Math.floor(x);
  const fy = Math.floor(y);
  const ix = fx | 0;
  const iy = fy | 0;
  const tx = x - fx;
  const ty = y - fy;
  const u = fade(tx);
  const v = fade(ty);
  const n00 = grad2(hash2(seed, ix, iy), tx, ty);
  const n10 = grad2(hash2(seed, ix + 1, iy), tx - 1, ty);
  const n01 = grad2(hash2(seed, ix, iy + 1), tx, ty - 1);
  const n11 = grad2(hash2(seed, ix + 1, iy + 1), tx - 1, ty - 1);
  const a = n00 + u * (n10 - n00);
  const b = n01 + u * (n11 - n01);
  return a + v * (b - a);
}

/** 3D gradient noise, roughly in [-1, 1], zero at lattice points. */
function noise3(seed: number, x: number, y: number, z: number): number {
  const fx = Math.floor(x);
  const fy = Math.floor(y);
  const fz = Math.floor(z);
  const ix = fx | 0;
  const iy = fy | 0;
  const iz = fz | 0;
  const tx = x - fx;
  const ty = y - fy;
  const tz = z - fz;
  const u = fade(tx);
  const v = fade(ty);
  const w = fade(tz);
  const n000 = grad3(hash3(seed, ix, iy, iz), tx, ty, tz);
  const n100 = grad3(hash3(seed, ix + 1, iy, iz), tx - 1, ty, tz);
  const n010 = grad3(hash3(seed, ix, iy + 1, iz), tx, ty - 1, tz);
  const n110 = grad3(hash3(seed, ix + 1, iy + 1, iz), tx - 1, ty - 1, tz);
  const n001 = grad3(hash3(seed, ix, iy, iz + 1), tx, ty, tz - 1);
  const n101 = grad3(hash3(seed, ix + 1, iy, iz + 1), tx - 1, ty, tz - 1);
  const n011 = grad3(hash3(seed, ix, iy + 1, iz + 1), tx, ty - 1, tz - 1);
  const n111 = grad3(hash3(seed, ix + 1, iy + 1, iz + 1), tx - 1, ty - 1, tz - 1);
  const x00 = n000 + u * (n100 - n000);
  const x10 = n010 + u * (n110 - n010);
  const x01 = n001 + u * (n101 - n001);
  const x11 = n011 + u * (n111 - n011);
  const y0 = x00 + v * (x10 - x00);
  const y1 = x01 + v * (x11 - x01);
  return y0 + w * (y1 - y0);
}

/**
 * Fractal Brownian motion over noise2: `octaves` layers, each at `lacunarity` times the
 * frequency and `gain` times the amplitude of the previous; normalised to about [-1, 1].
 */
export function fbm2(seed: number, x: number, y: number, octaves: number, lacunarity = 2, gain = 0.5): number {
  let sum = 0;
  let amp = 1;
  let norm = 0;
  let f = 1;
  for (let o = 0; o < octaves; o++) {
    // A different seed per octave, so lattice zeros of one octave do not line up with the next.
    sum += amp * noise2((seed + Math.imul(o, 0x3c6ef372)) | 0, x * f, y * f);
    norm += amp;
    amp *= gain;
    f *= lacunarity;
  }
  return sum / norm;
}

/** Fractal Brownian motion over noise3; same parameters as fbm2. */
export function fbm3(seed: number, x: number, y: number, z: number, octaves: number, lacunarity = 2, gain = 0.5): number {
  let sum = 0;
  let amp = 1;
  let norm = 0;
  let f = 1;
  for (let o = 0; o < octaves; o++) {
    sum += amp * noise3((seed + Math.imul(o, 0x3c6ef372)) | 0, x * f, y * f, z * f);
    norm += amp;
    amp *= gain;
    f *= lacunarity;
  }
  return sum / norm;
}
