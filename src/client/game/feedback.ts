// What tells the player what happened: the HUD (health, hit marker, damage direction, downed
// screen, kill feed, scoreboard on Tab), sounds, debris bursts and tracers. Server events come
// in through the GameEvents methods; the page calls frame() once per frame. It decides nothing
// about the game; it only shows and plays.
import { HitTarget } from "../../shared/protocol/messages.ts";
import type { DownMsg, HitMsg, ScoreRow, WelcomeMsg } from "../../shared/protocol/messages.ts";
import type { World } from "../../shared/voxel/world.ts";
import { Footsteps } from "../audio/sound.ts";
import type { SoundEngine } from "../audio/sound.ts";
import type { BoxSink } from "../render/box-batch.ts";
import { PALETTES } from "../render/entity-models.ts";
import { Hud } from "../ui/hud.ts";
import type { HudView } from "../ui/hud.ts";
import { HudModel } from "../ui/hud-model.ts";
import { KillFeed } from "../ui/kill-feed.ts";
import type { PauseState } from "../ui/pause.ts";
import { Scoreboard } from "../ui/scoreboard.ts";
import type { CarveEvent, ProjectileList } from "./authority.ts";
import { Effects } from "./effects.ts";
import type { GameEvents } from "./online-session.ts";

/** While the scoreboard is open it is refreshed this often (ms). */
export const SCOREBOARD_REFRESH_MS = 1000;

/** What feedback needs from the page. */
export interface FeedbackOptions {
  readonly parent: HTMLElement;
  readonly sound: SoundEngine;
  readonly pause: PauseState;
  /** Asks the server for the scoreboard (null offline). */
  readonly requestScores: (() => void) | null;
  /** Milliseconds clock (performance.now in the page). */
  readonly now: () => number;
}

/** The player's state as feedback reads it each frame (the page refills one object). */
export interface FeedbackFrame {
  playing: boolean;
  pointerLocked: boolean;
  /** Feet position, heading and whether it stands on the ground. */
  x: number;
  y: number;
  z: number;
  yaw: number;
  onGround: boolean;
}

export class Feedback implements GameEvents {
  readonly model: HudModel;
  readonly effects = new Effects();
  private readonly hud: Hud;
  private readonly killFeed: KillFeed;
  private readonly scoreboard: Scoreboard;
  private readonly footsteps = new Footsteps();
  private tabHeld = false;
  private lastScoresAt = Number.NEGATIVE_INFINITY;
  private lastX = Number.NaN;
  private lastZ = 0;
  private readonly view = { x: 0, z: 0, yaw: 0 } satisfies HudView;

  constructor(private readonly options: FeedbackOptions) {
    const sound = options.sound;
    this.model = new HudModel({
      hitConfirmed: (down) => sound.play(down ? "down" : "hit"),
      hurt: () => sound.play("hurt"),
      downed: () => sound.play("downed"),
      respawned: () => sound.play("respawn"),
    });
    this.hud = new Hud(options.parent);
    this.killFeed = new KillFeed(options.parent);
    this.scoreboard = new Scoreboard(options.parent);
    const win = options.parent.ownerDocument.defaultView;
    win?.addEventListener("keydown", this.onKeyDown);
    win?.addEventListener("keyup", this.onKeyUp);
    win?.addEventListener("blur", this.onBlur);
  }

  /** True while Tab is held (the scoreboard shows). */
  get scoreboardOpen(): boolean {
    return this.tabHeld;
  }

  // ---- server events ----

  welcome(m: WelcomeMsg): void {
    this.model.welcome(m);
  }

  self(health: number, flags: number): void {
    this.model.self(health, flags, this.options.now());
  }

  hit(m: HitMsg): void {
    this.model.hit(m, this.options.now());
    if (m.targetId === this.model.entityId) return;
    const c = m.targetKind === HitTarget.Npc ? PALETTES.npc.body : PALETTES.enemy.body;
    this.effects.burst(m.x, m.y, m.z, c[0], c[1], c[2], 8);
  }

  down(m: DownMsg): void {
    this.model.down(m, this.options.now());
  }

  scores(rows: readonly ScoreRow[]): void {
    this.model.scores(rows);
  }

  // ---- local events ----

  /** This player fired. */
  shot(): void {
    this.options.sound.play("shot");
  }

  /** A crater was carved (by anyone): debris in the colour of what it removed. */
  carve(e: CarveEvent): void {
    this.effects.burstMaterial(e.x, e.y, e.z, e.material);
  }

  /**
   * Once per frame: steps debris, plays footsteps, refreshes the scoreboard while it is open,
   * pushes tracers and debris into `boxes` and draws the HUD.
   */
  frame(dt: number, p: FeedbackFrame, world: World | null, projectiles: ProjectileList, boxes: BoxSink): void {
    const now = this.options.now();
    const m = this.model;
    m.update(now);
    this.effects.step(dt, world);
    this.effects.drawTracers(boxes, projectiles);
    this.effects.draw(boxes);

    if (!Number.isNaN(this.lastX) && p.playing && !m.downed && this.footsteps.update(p.x - this.lastX, p.z - this.lastZ, p.onGround)) {
      this.options.sound.play("step");
    }
    this.lastX = p.x;
    this.lastZ = p.z;

    // Offline there is no one to score: Tab does nothing.
    const open = this.tabHeld && p.playing && !this.options.pause.paused && this.options.requestScores !== null;
    if (open && this.options.requestScores !== null && now - this.lastScoresAt >= SCOREBOARD_REFRESH_MS) {
      this.lastScoresAt = now;
      this.options.requestScores();
    }
    this.hud.update(p.playing, p.pointerLocked);
    if (p.playing) {
      this.view.x = p.x;
      this.view.z = p.z;
      this.view.yaw = p.yaw;
      this.hud.render(m, now, this.view);
      this.killFeed.render(m);
    }
    this.scoreboard.render(m, open);
  }

  private readonly onKeyDown = (e: KeyboardEvent): void => {
    if (e.code !== "Tab" || this.options.pause.paused) return;
    // Tab is the scoreboard key while playing, not focus navigation.
    e.preventDefault();
    if (!this.tabHeld) this.lastScoresAt = Number.NEGATIVE_INFINITY;
    this.tabHeld = true;
  };

  private readonly onKeyUp = (e: KeyboardEvent): void => {
    if (e.code === "Tab") this.tabHeld = false;
  };

  private readonly onBlur = (): void => {
    this.tabHeld = false;
  };
}
