// Breadcrumb windows that could not leave the page when it was hidden (the browsers' keepalive
// budget is 64 KiB in flight for sendBeacon and keepalive fetch together), kept in
// localStorage and sent at the next start. Only the batcher reads it, and the batcher runs
// only with performance consent; withdrawing consent clears it, so nothing outlives consent.

import type { BreadcrumbWindow } from "../../shared/telemetry/breadcrumb.ts";
import { BREADCRUMB_LIMITS, validateBreadcrumbBatch } from "../../shared/telemetry/breadcrumb.ts";
import type { StorageLike } from "./consent.ts";

/** localStorage key; bump the suffix if the stored shape ever changes. */
export const PENDING_STORAGE_KEY = "voxel-shooter.telemetry-pending.v1";

/** Storage with removal (window.localStorage, or a test fake). */
export type PendingStorage = StorageLike & { removeItem(key: string): void };

/** What is kept: windows not yet sent, and how many were dropped without being reported. */
export interface PendingWindows {
  windows: BreadcrumbWindow[];
  dropped: number;
}

const EMPTY: PendingWindows = { windows: [], dropped: 0 };

/** The stored backlog. Every method is safe without storage (private mode, quota, tests): it then keeps nothing. */
export class PendingStore {
  constructor(
    private readonly storage: PendingStorage | null,
    /** Windows kept at most (the oldest beyond it are counted as dropped). */
    private readonly maxWindows = 120,
    private readonly key = PENDING_STORAGE_KEY,
  ) {}

  /** Adds windows to what is stored; false when nothing could be written (the caller counts them as dropped). */
  save(windows: readonly BreadcrumbWindow[], dropped: number): boolean {
    if (this.storage === null) return false;
    const prev = this.read();
    const all = [...prev.windows, ...windows];
    const over = Math.max(0, all.length - this.maxWindows);
    const next: PendingWindows = { windows: all.slice(over), dropped: Math.min(prev.dropped + dropped + over, BREADCRUMB_LIMITS.maxCount) };
    try {
      this.storage.setItem(this.key, JSON.stringify(next));
      return true;
    } catch {
      return false;
    }
  }

  /** Takes everything stored and clears it; windows that no longer pass the schema count as dropped. */
  take(): PendingWindows {
    if (this.storage === null) return EMPTY;
    const got = this.read();
    this.clear();
    return got;
  }

  /** Forgets what is stored. */
  clear(): void {
    try {
      this.storage?.removeItem(this.key);
    } catch {
      // Storage gone: nothing is kept either way.
    }
  }

  private read(): PendingWindows {
    let raw: string | null;
    try {
      raw = this.storage?.getItem(this.key) ?? null;
    } catch {
      return EMPTY;
    }
    if (!raw) return EMPTY;
    try {
      const v = JSON.parse(raw) as { windows?: unknown; dropped?: unknown };
      const list = Array.isArray(v.windows) ? (v.windows as unknown[]) : [];
      let dropped = typeof v.dropped === "number" && Number.isInteger(v.dropped) && v.dropped >= 0 ? v.dropped : 0;
      const windows: BreadcrumbWindow[] = [];
      for (const w of list.slice(-this.maxWindows)) {
        if (isValidWindow(w)) windows.push(w);
        else dropped++;
      }
      return { windows, dropped: dropped + Math.max(0, list.length - this.maxWindows) };
    } catch {
      return EMPTY;
    }
  }
}

/** A stored window is checked with the ingest's own schema (inside a placeholder batch). */
function isValidWindow(w: unknown): w is BreadcrumbWindow {
  const probe = { v: 1, session: "0".repeat(24), key: "pending-check", seq: 0, build: "", gpu: { vendor: "", arch: "" }, dropped: 0, windows: [w] };
  return validateBreadcrumbBatch(probe).ok;
}
