// Game settings: defaults, every value clamped and snapped to its bounds in and out of
// storage, persistence in localStorage under their own key, a session override that is never
// stored, listeners on change only, another tab's change, and storage that throws.
import { describe, expect, it } from "vitest";
import {
  clampFpsCap,
  clampSetting,
  defaultSettings,
  FPS_CAPS,
  parseSettings,
  SETTING_RANGES,
  SETTINGS_STORAGE_KEY,
  SettingsStore,
} from "../../../src/client/game/settings.ts";
import type { StorageLike } from "../../../src/client/telemetry/consent.ts";

class MemoryStorage implements StorageLike {
  readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
}

describe("game settings", () => {
  it("start at the defaults, which keep the view as it was (70 degrees, 8 chunks)", () => {
    const s = new SettingsStore(new MemoryStorage());
    expect(s.get()).toEqual(defaultSettings());
    expect(s.get()).toMatchObject({ fov: 70, viewDistance: 8, sensitivity: 1, invertY: false, volume: 70, fpsCap: 0 });
  });

  it("clamp and snap every value to its bounds and step", () => {
    for (const [key, r] of Object.entries(SETTING_RANGES) as [keyof typeof SETTING_RANGES, (typeof SETTING_RANGES)[keyof typeof SETTING_RANGES]][]) {
      expect(clampSetting(key, r.min - 1000)).toBe(r.min);
      expect(clampSetting(key, r.max + 1000)).toBe(r.max);
      expect(clampSetting(key, Number.NaN)).toBe(r.initial);
      expect(clampSetting(key, "7" as unknown as number)).toBe(r.initial);
    }
    expect(clampSetting("sensitivity", 1.01)).toBe(1);
    expect(clampSetting("sensitivity", 1.03)).toBe(1.05);
    expect(clampSetting("fov", 90.4)).toBe(90);
    expect(clampFpsCap(0)).toBe(0);
    expect(clampFpsCap(-5)).toBe(0);
    expect(clampFpsCap(59)).toBe(60);
    expect(clampFpsCap(1000)).toBe(FPS_CAPS[FPS_CAPS.length - 1]);
    expect(clampFpsCap(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it("persist under their own key and come back clamped; garbage reads as the defaults", () => {
    const storage = new MemoryStorage();
    const a = new SettingsStore(storage);
    expect(a.set("fov", 95)).toBe(95);
    expect(a.set("volume", 250)).toBe(100);
    a.set("invertY", true);
    a.set("fpsCap", 60);
    expect(JSON.parse(storage.getItem(SETTINGS_STORAGE_KEY)!)).toMatchObject({ v: 1, fov: 95, volume: 100, invertY: true, fpsCap: 60 });
    expect(new SettingsStore(storage).get()).toMatchObject({ fov: 95, volume: 100, invertY: true, fpsCap: 60 });

    storage.setItem(SETTINGS_STORAGE_KEY, JSON.stringify({ v: 1, fov: 5000, sensitivity: -3, viewDistance: "far", invertY: "yes", fpsCap: 61 }));
    expect(new SettingsStore(storage).get()).toEqual({ ...defaultSettings(), fov: 110, sensitivity: 0.1, fpsCap: 60 });
    for (const raw of ["{", "null", "[]", JSON.stringify({ v: 2, fov: 90 })]) expect(parseSettings(raw)).toEqual(defaultSettings());
  });

  it("tell listeners about changes only", () => {
    const s = new SettingsStore(new MemoryStorage());
    const seen: string[] = [];
    const off = s.subscribe((v, key) => seen.push(`${key}=${String(v[key])}`));
    s.set("sensitivity", 2);
    s.set("sensitivity", 2);
    s.set("volume", 70);
    off();
    s.set("fov", 80);
    expect(seen).toEqual(["sensitivity=2"]);
  });

  it("hold a session override in effect without storing it, until the player sets that value", () => {
    const storage = new MemoryStorage();
    const s = new SettingsStore(storage);
    s.set("viewDistance", 10);
    s.overrideForSession("viewDistance", 3);
    expect(s.get().viewDistance).toBe(3);
    s.set("volume", 20);
    // Storing another value keeps the stored view distance, not the override.
    expect(JSON.parse(storage.getItem(SETTINGS_STORAGE_KEY)!).viewDistance).toBe(10);
    expect(new SettingsStore(storage).get().viewDistance).toBe(10);
    s.set("viewDistance", 5);
    expect(JSON.parse(storage.getItem(SETTINGS_STORAGE_KEY)!).viewDistance).toBe(5);
  });

  it("tell whether the player has stored settings (the view-distance flag is only a default)", () => {
    const storage = new MemoryStorage();
    const s = new SettingsStore(storage);
    expect(s.hasStored()).toBe(false);
    s.overrideForSession("viewDistance", 3);
    expect(s.hasStored()).toBe(false);
    s.set("volume", 20);
    expect(s.hasStored()).toBe(true);
    expect(new SettingsStore(storage).hasStored()).toBe(true);
    expect(new SettingsStore(null).hasStored()).toBe(false);
  });

  it("follow another tab's change, and survive storage that throws", () => {
    const s = new SettingsStore(new MemoryStorage());
    const seen: string[] = [];
    s.subscribe((_v, key) => seen.push(key));
    s.syncFrom(JSON.stringify({ v: 1, ...defaultSettings(), volume: 10 }));
    expect(s.get().volume).toBe(10);
    expect(seen).toEqual(["volume"]);

    const broken: StorageLike = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
    };
    const b = new SettingsStore(broken);
    expect(b.get()).toEqual(defaultSettings());
    expect(b.set("fov", 90)).toBe(90);
    expect(b.get().fov).toBe(90);
    expect(new SettingsStore(null).get()).toEqual(defaultSettings());
  });
});
