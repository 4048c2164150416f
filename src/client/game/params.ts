import { DEFAULT_WORLD_GEN } from "../../shared/voxel/worldgen.ts";

/** Settings read from the page URL. */
export interface GameParams {
  /** View distance in chunks (`?view=`), 1..32, default 8. */
  readonly viewChunks: number;
  /** World seed (`?seed=`) offline, default DEFAULT_WORLD_GEN.seed (online the server's seed is used). */
  readonly seed: number;
  /** `?autotest=1`: install the window.__game automation hook (see test-hook.ts). */
  readonly autotest: boolean;
  /** `?offline=1`: single-player, with the world generated and carved in this tab (no server). */
  readonly offline: boolean;
}

export const DEFAULT_VIEW_CHUNKS = 8;

/** The view distance the URL asks for (`?view=`, clamped like parseParams), or null when it does not: the setting then decides. */
export function viewOverride(search: string): number | null {
  const raw = new URLSearchParams(search).get("view");
  return raw !== null && Number.isFinite(Number.parseInt(raw, 10)) ? parseParams(search).viewChunks : null;
}

/** Parses the query string; invalid values fall back to the defaults. */
export function parseParams(search: string): GameParams {
  const q = new URLSearchParams(search);
  const view = Number.parseInt(q.get("view") ?? "", 10);
  const seed = Number.parseInt(q.get("seed") ?? "", 10);
  return {
    viewChunks: Number.isFinite(view) ? Math.max(1, Math.min(32, view)) : DEFAULT_VIEW_CHUNKS,
    seed: Number.isFinite(seed) ? seed | 0 : DEFAULT_WORLD_GEN.seed,
    autotest: q.get("autotest") === "1",
    offline: q.get("offline") === "1",
  };
}
