// One frame of the game, run by the requestAnimationFrame driver (loop.ts): input and the
// player's step, the session or the local simulation, chunk streaming, the camera, entities,
// effects and the HUD, then the renderer. It also notices when the chunks around the spawn are
// first drawn (the game is ready) and whether the game is idle (the test hook's settle).
// Allocation-free per frame.
import type { World } from "../../shared/voxel/world.ts";
import type { Keyboard } from "../input/keyboard.ts";
import type { MouseLook } from "../input/mouse-look.ts";
import type { OnlineSession } from "../net/online-session.ts";
import type { Renderer } from "../render/renderer.ts";
import type { PauseState } from "../ui/pause.ts";
import { gameState, GameState } from "../ui/state.ts";
import type { MesherPool } from "../workers/pool.ts";
import type { WorldAuthority } from "./authority.ts";
import type { CarveLatency } from "./carve-latency.ts";
import type { ChunkStreamer } from "./chunk-streamer.ts";
import type { Feedback, FeedbackFrame } from "./feedback.ts";
import type { PlayerController } from "./player.ts";
import type { GameStats } from "./stats.ts";

/** What a frame drives. */
export interface FrameParts {
  readonly world: World;
  readonly renderer: Renderer;
  readonly pool: MesherPool;
  readonly streamer: ChunkStreamer;
  /** Carve-to-drawn timing: told after every frame. */
  readonly carveLatency: CarveLatency;
  readonly player: PlayerController;
  readonly authority: WorldAuthority;
  /** Null offline. */
  readonly online: OnlineSession | null;
  readonly feedback: Feedback;
  readonly keyboard: Keyboard;
  readonly mouse: MouseLook;
  readonly pause: PauseState;
  readonly stats: GameStats;
  /** The game is ready once the chunks within `readyRadius` chunks of the spawn are drawn. */
  readonly spawn: readonly [number, number, number];
  readonly readyRadius: number;
  /** Called once, when the first frame that drew the spawn area has completed on the GPU (still loading). */
  ready(): void;
  /** Called after every frame with whether the game is idle (no shot, mesh job, upload or re-sync pending). */
  afterFrame?: (idle: boolean) => void;
}

/** The per-frame step; pass `step` to startLoop. */
export class FrameLoop {
  private readonly eye = [0, 0, 0];
  /** What feedback reads of the player each frame (one object, refilled). */
  private readonly view: FeedbackFrame = { playing: false, pointerLocked: false, x: 0, y: 0, z: 0, yaw: 0, onGround: false };
  private lastNow = performance.now();
  private readyPending = false;

  constructor(private readonly p: FrameParts) {}

  /** One frame: `dt` is the (clamped) simulation step in seconds, `now` the frame time in ms. */
  readonly step = (dt: number, now: number): void => {
    if (gameState() === GameState.Error) return;
    const t0 = performance.now();
    const stats = this.p.stats;
    // The real interval, unlike dt, which the loop clamps for the simulation's sake.
    stats.loop.dtMs = now - this.lastNow;
    this.lastNow = now;
    const playing = gameState() === GameState.Playing;
    this.simulate(dt, now, playing);
    this.draw(dt, playing);
    if (!playing) this.checkReady();
    this.p.afterFrame?.(this.idle());
    stats.loop.cpuMs = performance.now() - t0;
  };

  /** Input, the player's step, then the session (online) or the local simulation (offline). */
  private simulate(dt: number, now: number, playing: boolean): void {
    const { player, mouse, keyboard, online, pause, feedback } = this.p;
    if (playing) player.look(mouse.takeYaw(), mouse.takePitch());
    // Online the player only moves while joined to a world that matches the server's:
    // inputs made while the connection is down would be lost and then corrected away. Nor
    // does it move while paused or downed.
    if (playing && (online === null || online.playable) && !pause.paused && !feedback.model.downed) {
      player.update(dt, keyboard.axis("KeyS", "KeyW", "ArrowDown", "ArrowUp"), keyboard.axis("KeyA", "KeyD", "ArrowLeft", "ArrowRight"), keyboard.isDown("Space"));
    } else {
      player.idle(dt);
    }
    if (online !== null) online.update(dt, now);
    else this.p.authority.update(dt);
  }

  /** Streaming around the eye, the camera, entities, effects and the HUD, then the GPU frame. */
  private draw(dt: number, playing: boolean): void {
    const { player, renderer, online, feedback, mouse, authority, world } = this.p;
    const eye = this.eye;
    player.eye(eye);
    this.p.streamer.update(eye[0], eye[1], eye[2]);
    const cam = renderer.camera;
    cam.x = eye[0];
    cam.y = eye[1];
    cam.z = eye[2];
    cam.yaw = player.yaw;
    cam.pitch = player.pitch;
    renderer.boxes.clear();
    online?.drawEntities(renderer.boxes, eye);
    const shots = authority.projectiles;
    const ps = player.state;
    const view = this.view;
    view.playing = playing;
    view.pointerLocked = mouse.locked;
    view.x = ps.x;
    view.y = ps.y;
    view.z = ps.z;
    view.yaw = player.yaw;
    view.onGround = ps.onGround;
    feedback.frame(dt, view, world, shots, renderer.boxes);
    this.p.stats.world.projectilesInFlight = shots.count;
    renderer.frame();
    this.p.carveLatency.afterFrame();
  }

  /** While loading: ready once the chunks around the spawn are meshed, uploaded, and a frame that drew them has finished on the GPU. */
  private checkReady(): void {
    const { streamer, spawn, readyRadius, renderer } = this.p;
    if (this.readyPending || !streamer.readyAround(spawn[0], spawn[2], readyRadius)) return;
    this.readyPending = true;
    void renderer.whenSubmittedWorkDone().then(() => {
      if (gameState() === GameState.Loading) this.p.ready();
    });
  }

  private idle(): boolean {
    const { pool, renderer, authority, feedback, online } = this.p;
    const netIdle = online === null || (online.authority.pendingCount === 0 && !online.sync.busy);
    return pool.stats.queueLength === 0 && pool.stats.inFlight === 0 && renderer.stats.uploadsPending === 0
      && authority.projectiles.count === 0 && feedback.effects.count === 0 && netIdle;
  }
}
