// The player's game settings: mouse sensitivity, invert Y, field of view, view distance,
// volume and a frame-rate cap. Kept in localStorage beside the consent switches (their own
// key), every value clamped to its bounds on the way in and on the way out of storage, so a
// hand-edited or stale entry can never put the game out of range. Listeners run synchronously
// after each change; another tab's change arrives through syncFrom (the "storage" event).
import { readStored, writeStored } from "../telemetry/consent.ts";
import type { StorageLike } from "../telemetry/consent.ts";
import { clamp } from "../../shared/math.ts";

/** Numeric settings: bounds, step (the slider's), default and unit for labels. */
export const SETTING_RANGES = {
  /** Multiplier of the base look speed (0.0025 rad per pixel). */
  sensitivity: { min: 0.1, max: 5, step: 0.05, initial: 1 },
  /** Vertical field of view, degrees. */
  fov: { min: 50, max: 110, step: 1, initial: 70 },
  /** Chunks streamed around the player (32 voxels each). */
  viewDistance: { min: 1, max: 32, step: 1, initial: 8 },
  /** Percent. */
  volume: { min: 0, max: 100, step: 1, initial: 70 },
} as const;
export type RangeSetting = keyof typeof SETTING_RANGES;

/** Frame-rate caps offered (frames per second; 0 = no cap, the display's rate). */
export const FPS_CAPS = [0, 30, 60, 120, 144] as const;

/** Every game setting. */
export interface GameSettings {
  sensitivity: number;
  invertY: boolean;
  fov: number;
  viewDistance: number;
  volume: number;
  fpsCap: number;
}

/** localStorage key; bump the suffix if the stored shape ever changes. */
export const SETTINGS_STORAGE_KEY = "voxel-shooter.game-settings.v1";

/** The defaults (the same view as before settings existed: 70 degrees, 8 chunks). */
export function defaultSettings(): GameSettings {
  return {
    sensitivity: SETTING_RANGES.sensitivity.initial,
    invertY: false,
    fov: SETTING_RANGES.fov.initial,
    viewDistance: SETTING_RANGES.viewDistance.initial,
    volume: SETTING_RANGES.volume.initial,
    fpsCap: 0,
  };
}

/** `v` snapped to the setting's step and clamped to its bounds; the default when not a finite number. */
export function clampSetting(key: RangeSetting, v: unknown): number {
  const r = SETTING_RANGES[key];
  if (typeof v !== "number" || !Number.isFinite(v)) return r.initial;
  const snapped = r.min + Math.round((v - r.min) / r.step) * r.step;
  // Round away float noise from the step arithmetic (0.1 + 18 * 0.05 = 1.0000000000000002).
  return clamp(Math.round(snapped * 1e6) / 1e6, r.min, r.max);
}

/** The offered cap nearest to `v` (0 when not a finite number or not positive). */
export function clampFpsCap(v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) return 0;
  let best: number = FPS_CAPS[1];
  for (const c of FPS_CAPS) if (c > 0 && Math.abs(c - v) < Math.abs(best - v)) best = c;
  return best;
}

/** Parses stored JSON; every missing, malformed or out-of-range value becomes its default or bound. */
export function parseSettings(raw: string | null): GameSettings {
  let data: Record<string, unknown> = {};
  if (raw) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === "object" && parsed !== null && (parsed as { v?: unknown }).v === 1) data = parsed as Record<string, unknown>;
    } catch {
      // Unreadable: defaults.
    }
  }
  return {
    sensitivity: clampSetting("sensitivity", data.sensitivity),
    invertY: data.invertY === true,
    fov: clampSetting("fov", data.fov),
    viewDistance: clampSetting("viewDistance", data.viewDistance),
    volume: clampSetting("volume", data.volume),
    fpsCap: clampFpsCap(data.fpsCap),
  };
}

export type SettingsListener = (settings: Readonly<GameSettings>, changed: keyof GameSettings) => void;

/** The persisted settings of this browser. */
export class SettingsStore {
  /** In effect on this page (stored values, or a session override). */
  private readonly values: GameSettings;
  /** What is stored; written whole on every set(). */
  private readonly stored: GameSettings;
  private readonly listeners = new Set<SettingsListener>();

  constructor(
    private readonly storage: StorageLike | null,
    private readonly key = SETTINGS_STORAGE_KEY,
  ) {
    this.stored = parseSettings(this.read());
    this.values = { ...this.stored };
  }

  /**
   * Puts `value` (clamped) in effect for this page without storing it, e.g. a `?view=` URL
   * parameter; the stored value comes back on the next load. No listeners run: call it before
   * anything reads the settings.
   */
  overrideForSession<K extends keyof GameSettings>(key: K, value: GameSettings[K]): void {
    this.values[key] = normalise(key, value);
  }

  /** True once this browser has stored settings (the player saved any), false on defaults. */
  hasStored(): boolean {
    return this.read() !== null;
  }

  /** The current values (a live object: read, do not keep for later comparison). */
  get(): Readonly<GameSettings> {
    return this.values;
  }

  /** Sets one value (clamped); persists and notifies when it changed. Returns the value kept. */
  set<K extends keyof GameSettings>(key: K, value: GameSettings[K]): GameSettings[K] {
    const next = normalise(key, value);
    if (this.values[key] === next && this.stored[key] === next) return next;
    const changed = this.values[key] !== next;
    this.values[key] = next;
    this.stored[key] = next;
    this.write();
    if (!changed) return next;
    for (const l of this.listeners) l(this.values, key);
    return next;
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: SettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies what another tab stored (the window "storage" event), without writing it back. */
  syncFrom(raw: string | null): void {
    const incoming = parseSettings(raw);
    for (const key of Object.keys(incoming) as (keyof GameSettings)[]) {
      if (incoming[key] === this.stored[key]) continue;
      (this.stored as unknown as Record<string, unknown>)[key] = incoming[key];
      (this.values as unknown as Record<string, unknown>)[key] = incoming[key];
      for (const l of this.listeners) l(this.values, key);
    }
  }

  private read(): string | null {
    return readStored(this.storage, this.key);
  }

  private write(): void {
    writeStored(this.storage, this.key, JSON.stringify({ v: 1, ...this.stored }));
  }
}

function normalise<K extends keyof GameSettings>(key: K, value: GameSettings[K]): GameSettings[K] {
  if (key === "invertY") return (value === true) as GameSettings[K];
  if (key === "fpsCap") return clampFpsCap(value) as GameSettings[K];
  return clampSetting(key as RangeSetting, value) as GameSettings[K];
}
