// Game sounds through WebAudio, every one synthesised here from oscillators, filtered noise
// and gain envelopes (no audio files): the shot, the hit confirmation (a brighter chord for a
// down), being hurt, being downed, the respawn, and footsteps. Browsers refuse to start audio
// before the player interacts, so nothing, not even the AudioContext, exists until the first
// gesture (unlock()); until then every sound is silently skipped. One master gain carries the
// volume setting.

import { Rng } from "../../shared/voxel/rng.ts";

/** The slice of the Web Audio API used here (a real AudioContext satisfies it; tests pass a fake). */
export interface AudioParamLike {
  value: number;
  setValueAtTime(v: number, t: number): unknown;
  linearRampToValueAtTime(v: number, t: number): unknown;
  exponentialRampToValueAtTime(v: number, t: number): unknown;
}
export interface AudioNodeLike {
  connect(destination: AudioNodeLike): unknown;
}
export interface GainLike extends AudioNodeLike {
  readonly gain: AudioParamLike;
}
export interface OscillatorLike extends AudioNodeLike {
  type: OscillatorType;
  readonly frequency: AudioParamLike;
  start(when?: number): void;
  stop(when?: number): void;
}
export interface FilterLike extends AudioNodeLike {
  type: BiquadFilterType;
  readonly frequency: AudioParamLike;
  readonly Q: AudioParamLike;
}
export interface AudioBufferLike {
  getChannelData(channel: number): Float32Array;
}
export interface BufferSourceLike extends AudioNodeLike {
  buffer: AudioBufferLike | null;
  readonly playbackRate: AudioParamLike;
  start(when?: number, offset?: number, duration?: number): void;
  stop(when?: number): void;
}
export interface AudioContextLike {
  readonly currentTime: number;
  readonly sampleRate: number;
  readonly state: string;
  readonly destination: AudioNodeLike;
  resume(): Promise<void>;
  createGain(): GainLike;
  createOscillator(): OscillatorLike;
  createBiquadFilter(): FilterLike;
  createBufferSource(): BufferSourceLike;
  createBuffer(channels: number, length: number, sampleRate: number): AudioBufferLike;
}

/** The sounds there are. */
export const SOUNDS = ["shot", "hit", "down", "hurt", "downed", "respawn", "step"] as const;
export type SoundName = (typeof SOUNDS)[number];

/** What has played (tests and the automation hook read it). */
export interface SoundStats {
  unlocked: boolean;
  played: Record<SoundName, number>;
}

/** Seconds of white noise every noisy sound plays a slice of. */
const NOISE_SECONDS = 1;

/** The game's synthesiser. */
export class SoundEngine {
  readonly stats: SoundStats = { unlocked: false, played: { shot: 0, hit: 0, down: 0, hurt: 0, downed: 0, respawn: 0, step: 0 } };
  private ctx: AudioContextLike | null = null;
  private master: GainLike | null = null;
  private noise: AudioBufferLike | null = null;
  private volume = 0.7;
  /** Small variations between repeats of a sound. */
  private readonly rng = new Rng(0x9e3779b9);

  constructor(private readonly createContext: () => AudioContextLike | null) {}

  /** Call from a user gesture: creates (or resumes) the audio context. Later calls only resume it. */
  unlock(): void {
    if (this.ctx === null) {
      let ctx: AudioContextLike | null = null;
      try {
        ctx = this.createContext();
      } catch {
        // No audio device or API: the game stays silent.
      }
      if (ctx === null) return;
      this.ctx = ctx;
      this.master = ctx.createGain();
      this.master.gain.value = this.volume;
      this.master.connect(ctx.destination);
      this.noise = makeNoise(ctx);
    }
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => undefined);
    this.stats.unlocked = true;
  }

  /** Volume 0..1 (the settings' percent / 100). */
  setVolume(v: number): void {
    this.volume = Math.min(1, Math.max(0, v));
    if (this.master !== null) this.master.gain.value = this.volume;
  }

  /** Plays a sound now; nothing before unlock() or at volume 0. */
  play(name: SoundName): void {
    const ctx = this.ctx;
    if (ctx === null || this.master === null || this.volume === 0) return;
    this.stats.played[name]++;
    const t = ctx.currentTime;
    switch (name) {
      case "shot":
        this.noiseBurst(t, "bandpass", 2200, 500, 1.2, 0.55, 0.13);
        this.tone(t, "sine", 150, 45, 0.45, 0.1);
        break;
      case "hit":
        this.tone(t, "square", 1500, 1500, 0.12, 0.045);
        break;
      case "down":
        this.tone(t, "square", 990, 990, 0.13, 0.07);
        this.tone(t + 0.07, "square", 1480, 1480, 0.13, 0.12);
        break;
      case "hurt":
        this.noiseBurst(t, "lowpass", 700, 250, 0.7, 0.5, 0.16);
        this.tone(t, "sine", 110, 60, 0.35, 0.14);
        break;
      case "downed":
        this.tone(t, "sawtooth", 330, 55, 0.25, 0.9);
        break;
      case "respawn":
        this.tone(t, "sine", 330, 720, 0.22, 0.28);
        break;
      case "step":
        this.noiseBurst(t, "lowpass", 600 + this.rng.next() * 300, 250, 0.8, 0.22, 0.07);
        break;
    }
  }

  /** An oscillator sliding from f0 to f1 Hz with a fast attack and exponential decay. */
  private tone(t: number, type: OscillatorType, f0: number, f1: number, level: number, seconds: number): void {
    const ctx = this.ctx!;
    const osc = ctx.createOscillator();
    osc.type = type;
    osc.frequency.setValueAtTime(f0, t);
    if (f1 !== f0) osc.frequency.exponentialRampToValueAtTime(f1, t + seconds);
    const env = this.envelope(t, level, seconds);
    osc.connect(env);
    osc.start(t);
    osc.stop(t + seconds + 0.02);
  }

  /** A slice of the noise buffer through a filter sweeping from f0 to f1 Hz. */
  private noiseBurst(t: number, type: BiquadFilterType, f0: number, f1: number, q: number, level: number, seconds: number): void {
    const ctx = this.ctx!;
    const src = ctx.createBufferSource();
    src.buffer = this.noise;
    src.playbackRate.value = 0.9 + this.rng.next() * 0.2;
    const filter = ctx.createBiquadFilter();
    filter.type = type;
    filter.Q.value = q;
    filter.frequency.setValueAtTime(f0, t);
    filter.frequency.exponentialRampToValueAtTime(f1, t + seconds);
    src.connect(filter);
    filter.connect(this.envelope(t, level, seconds));
    src.start(t, this.rng.next() * (NOISE_SECONDS - seconds - 0.05), seconds + 0.02);
  }

  /** A gain node into the master that rises to `level` in 5 ms and decays over `seconds`. */
  private envelope(t: number, level: number, seconds: number): GainLike {
    const g = this.ctx!.createGain();
    g.gain.setValueAtTime(0.0001, t);
    g.gain.linearRampToValueAtTime(level, t + 0.005);
    g.gain.exponentialRampToValueAtTime(0.0001, t + seconds);
    g.connect(this.master!);
    return g;
  }

}

function makeNoise(ctx: AudioContextLike): AudioBufferLike {
  const n = Math.floor(ctx.sampleRate * NOISE_SECONDS);
  const buffer = ctx.createBuffer(1, n, ctx.sampleRate);
  const data = buffer.getChannelData(0);
  let x = 0x1234567;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = ((x >>> 0) / 4294967296) * 2 - 1;
  }
  return buffer;
}

/**
 * Unlocks `engine` on the first pointer or key press anywhere on the page (the gestures
 * browsers accept for starting audio). Returns the function that removes the listeners.
 */
export function unlockOnGesture(engine: SoundEngine, target: Window = window): () => void {
  const events = ["pointerdown", "keydown"] as const;
  const onGesture = (): void => {
    engine.unlock();
    if (engine.stats.unlocked) remove();
  };
  const remove = (): void => {
    for (const e of events) target.removeEventListener(e, onGesture, true);
  };
  for (const e of events) target.addEventListener(e, onGesture, true);
  return remove;
}

/** Stride between footsteps while walking on the ground (voxels). */
export const STEP_STRIDE = 2.1;

/** Turns distance walked on the ground into footstep moments. */
export class Footsteps {
  private distance = 0;

  /** Adds a move of (dx, dz) voxels; true when a footstep falls in it. Airborne moves do not count. */
  update(dx: number, dz: number, onGround: boolean): boolean {
    if (!onGround) return false;
    const d = Math.hypot(dx, dz);
    // Teleports (respawn, corrections) are not walking.
    if (d > 3) return false;
    this.distance += d;
    if (this.distance < STEP_STRIDE) return false;
    this.distance -= STEP_STRIDE;
    return true;
  }
}
