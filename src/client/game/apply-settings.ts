// Applies the game settings to the parts they steer, at once and again on every change (the
// settings panel, another tab): look speed and invert Y, field of view, view distance (the
// chunk streamer re-streams at once, and the fog follows: no reload), and volume. The frame
// cap is read by the frame loop itself.
import { CHUNK_SIZE } from "../../shared/voxel/constants.ts";
import type { SoundEngine } from "../audio/sound.ts";
import { BASE_LOOK_SPEED } from "../input/mouse-look.ts";
import type { MouseLook } from "../input/mouse-look.ts";
import type { Renderer } from "../render/renderer.ts";
import type { ChunkStreamer } from "./chunk-streamer.ts";
import type { GameSettings, SettingsStore } from "./settings.ts";

/** What the settings steer. */
export interface SettingsTargets {
  readonly mouse: MouseLook;
  readonly renderer: Renderer;
  readonly streamer: ChunkStreamer;
  readonly sound: SoundEngine;
}

/** Fog end for a view distance in chunks: half a chunk short of the streaming edge. */
export function viewDistanceVoxels(chunks: number): number {
  return (chunks - 0.5) * CHUNK_SIZE;
}

/**
 * Applies `store` to `targets` now and on every change; returns the unsubscribe function. The
 * view distance is applied on changes only: at start the page picks it (a `?view=` URL
 * override wins until the player chooses one in the panel).
 */
export function applySettings(store: SettingsStore, targets: SettingsTargets): () => void {
  const apply = (s: Readonly<GameSettings>, changed: keyof GameSettings | null): void => {
    if (changed === null || changed === "sensitivity" || changed === "invertY") {
      targets.mouse.sensitivity = BASE_LOOK_SPEED * s.sensitivity;
      targets.mouse.invertY = s.invertY;
    }
    if (changed === null || changed === "fov") targets.renderer.setFov((s.fov * Math.PI) / 180);
    if (changed === "viewDistance") {
      targets.streamer.setViewChunks(s.viewDistance);
      targets.renderer.setViewDistance(viewDistanceVoxels(s.viewDistance));
    }
    if (changed === null || changed === "volume") targets.sound.setVolume(s.volume / 100);
  };
  apply(store.get(), null);
  return store.subscribe(apply);
}
