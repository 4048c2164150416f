import type { NetReport } from "./online-session.ts";
import type { GameStats } from "./stats.ts";

/**
 * The automation hook, `window.__game`, installed only with `?autotest=1` (and in dev builds).
 * End-to-end tests cannot rely on pointer lock in headless Chromium, so they aim and fire
 * through here. Deliberately tiny:
 *
 *   state      page state: "loading" | "playing" | "error"
 *   stats      live GameStats (render, mesh, world, net)
 *   aim(y, p)  sets yaw and pitch in radians (yaw 0 looks towards -Z, positive turns left;
 *              positive pitch looks up)
 *   fire()     shoots along the view, as a left click does (the weapon cooldown applies);
 *              returns the shot's id (online: the command id) or -1 when no shot was made
 *   eye()      camera position [x, y, z]
 *   settle()   resolves once no shot is in flight or awaiting the server's answer, no world
 *              re-sync, mesh job or upload is pending, and a frame drawn after that has
 *              completed on the GPU
 *   loseDevice()  destroys the GPU device, to exercise device-loss recovery
 *   checksum() worldChecksum of the client's world (compare with the server's)
 *   net()      network state (status, ids, counters, recent carves), null offline
 *   entity(id) feet position of remote entity `id` as drawn this frame, or null
 *   dropConnection(ms)  cuts the socket as a network failure would; reconnects no sooner than ms
 *   terminateMeshWorker(i)  terminates mesher worker i behind the pool's back (as the browser
 *              may); the pool finds it by its job deadline. False when there is no such worker
 *   hud()      what the HUD shows (health, downed, marker, kill feed), pause, effects, sounds
 */

/** The HUD as the hook reports it (plain data). */
export interface HudReport {
  health: number;
  downed: boolean;
  downedBy: string;
  marker: string;
  callsign: string;
  /** Kill-feed lines "shooter > target", newest first. */
  feed: string[];
  scoreboardOpen: boolean;
  paused: boolean;
  /** Debris pieces alive. */
  effects: number;
  sound: { unlocked: boolean; played: Record<string, number> };
}
export interface GameHook {
  readonly state: string;
  readonly stats: GameStats;
  aim(yaw: number, pitch: number): void;
  fire(): number;
  eye(): [number, number, number];
  settle(): Promise<void>;
  loseDevice(): void;
  checksum(): number;
  net(): NetReport | null;
  entity(id: number): [number, number, number] | null;
  dropConnection(outageMs: number): void;
  terminateMeshWorker(index: number): boolean;
  hud(): HudReport;
}

/** What the hook drives; supplied by main.ts. */
export interface HookTarget {
  readonly stats: GameStats;
  state(): string;
  aim(yaw: number, pitch: number): void;
  fire(): number;
  eye(): [number, number, number];
  loseDevice(): void;
  /** Resolves when all submitted GPU work is done. */
  gpuDone(): Promise<void>;
  checksum(): number;
  net(): NetReport | null;
  entity(id: number): [number, number, number] | null;
  dropConnection(outageMs: number): void;
  terminateMeshWorker(index: number): boolean;
  hud(): HudReport;
}

declare global {
  interface Window {
    __game?: GameHook;
  }
}

/** Installs window.__game; returns `afterFrame`, to be called after each rendered frame with whether the game is idle. */
export function installTestHook(target: HookTarget): (idle: boolean) => void {
  let waiters: (() => void)[] = [];
  let draining = false;
  window.__game = {
    get state() {
      return target.state();
    },
    stats: target.stats,
    aim: (yaw, pitch) => target.aim(yaw, pitch),
    fire: () => target.fire(),
    eye: () => target.eye(),
    settle: () => new Promise<void>((resolve) => waiters.push(resolve)),
    loseDevice: () => target.loseDevice(),
    checksum: () => target.checksum(),
    net: () => target.net(),
    entity: (id) => target.entity(id),
    dropConnection: (ms) => target.dropConnection(ms),
    terminateMeshWorker: (index) => target.terminateMeshWorker(index),
    hud: () => target.hud(),
  };
  return (idle) => {
    if (!idle || draining || waiters.length === 0) return;
    draining = true;
    const ready = waiters;
    waiters = [];
    const done = () => {
      draining = false;
      for (const resolve of ready) resolve();
    };
    target.gpuDone().then(done, done);
  };
}
