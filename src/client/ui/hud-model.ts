// What the HUD shows, derived from server events and a clock the caller passes in (so it is
// tested with a fake one): own health, the hit marker (a down shows a different one), where
// recent damage came from, the downed state with its respawn countdown, the kill feed and the
// scoreboard. No DOM here; hud.ts draws it.
import { SelfFlag, Team } from "../../shared/protocol/messages.ts";
import type { DownMsg, EntityKind, HitMsg, ScoreRow, WelcomeMsg } from "../../shared/protocol/messages.ts";

/** HUD timing (ms) and sizes. */
export const HUD = {
  hitMarkerMs: 250,
  downMarkerMs: 700,
  damageMs: 1400,
  /** Damage directions shown at once (the oldest is replaced). */
  maxDamage: 4,
  feedSize: 5,
  feedMs: 8000,
} as const;

export type MarkerKind = "none" | "hit" | "down";

/** One recent hit on this player: where the shot came from, until when it shows. */
export interface DamageCue {
  sx: number;
  sz: number;
  at: number;
  until: number;
  /** A frame has drawn it (see HudModel.update). */
  drawn: boolean;
}

/** One kill-feed line. */
export interface FeedEntry {
  readonly shooter: string;
  readonly shooterKind: EntityKind;
  readonly shooterTeam: Team;
  readonly target: string;
  readonly targetKind: EntityKind;
  readonly targetTeam: Team;
  /** This player did it or suffered it. */
  readonly mine: boolean;
  readonly until: number;
}

/** What the HUD observes that the page may react to (sounds). */
export interface HudCues {
  /** This player's shot hit someone (`down`: and downed them). */
  hitConfirmed?(down: boolean): void;
  /** This player was hit. */
  hurt?(): void;
  /** This player was downed. */
  downed?(): void;
  /** This player is up again. */
  respawned?(): void;
}

/**
 * HUD state. Call the event methods as messages arrive and update(now) once a frame, right
 * before the HUD draws it. A hit marker or damage cue lasts its time from the event, and is
 * drawn by at least one frame however late that frame comes: on a slow machine (a frame
 * slower than the 250 ms hit marker) expiring it by the clock alone would mean the player
 * never sees it.
 */
export class HudModel {
  entityId = 0;
  callsign = "";
  team: Team = Team.None;
  maxHealth = 100;
  respawnMs = 3000;
  health = 100;
  downed = false;
  /** Who downed this player ("" when unknown, e.g. after a rejoin while down). */
  downedBy = "";
  /** When the respawn is due (NaN while up). */
  respawnAt = Number.NaN;
  marker: MarkerKind = "none";
  markerUntil = 0;
  /** A frame has drawn the current marker. */
  markerDrawn = false;
  /** Active damage cues first (`damageCount` of them). */
  readonly damage: DamageCue[] = Array.from({ length: HUD.maxDamage }, () => ({ sx: 0, sz: 0, at: 0, until: 0, drawn: false }));
  damageCount = 0;
  /** Newest first. */
  readonly feed: FeedEntry[] = [];
  scoreboard: readonly ScoreRow[] = [];
  /** Bumped on every change the view must redraw (feed, scoreboard, identity). */
  revision = 0;

  constructor(private readonly cues: HudCues = {}) {}

  /** A join: identity and the server's health and respawn rules. */
  welcome(m: WelcomeMsg): void {
    this.entityId = m.entityId;
    this.callsign = m.callsign;
    this.team = m.team;
    this.maxHealth = m.maxHealth;
    this.respawnMs = m.respawnMs;
    this.revision++;
  }

  /** The authoritative own state (snapshot or delta): health and the downed flag. */
  self(health: number, flags: number, now: number): void {
    this.health = health;
    const down = (flags & SelfFlag.Downed) !== 0;
    if (down && !this.downed) this.goDown("", now);
    else if (!down && this.downed) {
      this.downed = false;
      this.downedBy = "";
      this.respawnAt = Number.NaN;
      this.cues.respawned?.();
    }
  }

  /** A hit event: a marker when this player shot, a damage cue when it was the target. */
  hit(m: HitMsg, now: number): void {
    if (m.shooterId === this.entityId && m.targetId !== this.entityId) {
      const down = m.health === 0;
      // A down marker is not cut short by a plain hit landing just after it.
      if (down || this.marker !== "down" || this.markerOver(now)) {
        this.marker = down ? "down" : "hit";
        this.markerUntil = now + (down ? HUD.downMarkerMs : HUD.hitMarkerMs);
        this.markerDrawn = false;
      }
      this.cues.hitConfirmed?.(down);
    }
    if (m.targetId === this.entityId) {
      this.health = m.health;
      const cue = this.damageCount < HUD.maxDamage ? this.damage[this.damageCount++] : this.oldestDamage();
      cue.sx = m.sx;
      cue.sz = m.sz;
      cue.at = now;
      cue.until = now + HUD.damageMs;
      cue.drawn = false;
      if (m.health > 0) this.cues.hurt?.();
    }
  }

  /** A down event: a kill-feed line, and the downed state when this player was the target. */
  down(m: DownMsg, now: number): void {
    const mine = m.shooterId === this.entityId || m.targetId === this.entityId;
    this.feed.unshift({
      shooter: m.shooterCallsign, shooterKind: m.shooterKind, shooterTeam: m.shooterTeam,
      target: m.targetCallsign, targetKind: m.targetKind, targetTeam: m.targetTeam,
      mine, until: now + HUD.feedMs,
    });
    if (this.feed.length > HUD.feedSize) this.feed.length = HUD.feedSize;
    this.revision++;
    if (m.targetId === this.entityId) {
      this.health = 0;
      if (!this.downed) this.goDown(m.shooterCallsign, now);
      else this.downedBy = m.shooterCallsign;
    }
  }

  /** A scoreboard answer. */
  scores(rows: readonly ScoreRow[]): void {
    this.scoreboard = rows;
    this.revision++;
  }

  /**
   * Once a frame, before the HUD draws: expires the marker, damage cues and feed lines past
   * their time, except a marker or cue no frame has drawn yet (this frame will). Allocation-free.
   */
  update(now: number): void {
    if (this.marker !== "none" && this.markerOver(now)) this.marker = "none";
    this.markerDrawn = true;
    for (let i = this.damageCount - 1; i >= 0; i--) {
      const cue = this.damage[i];
      if (now < cue.until || !cue.drawn) {
        cue.drawn = true;
        continue;
      }
      // Swap the expired cue with the last active one.
      const last = this.damage[--this.damageCount];
      this.damage[this.damageCount] = this.damage[i];
      this.damage[i] = last;
    }
    let n = this.feed.length;
    while (n > 0 && now >= this.feed[n - 1].until) n--;
    if (n !== this.feed.length) {
      this.feed.length = n;
      this.revision++;
    }
  }

  /** Whole seconds until the respawn (at least 0), counting down; 0 while up. */
  countdown(now: number): number {
    if (!this.downed || Number.isNaN(this.respawnAt)) return 0;
    return Math.max(0, Math.ceil((this.respawnAt - now) / 1000));
  }

  /** The marker's time is up and a frame has drawn it. */
  private markerOver(now: number): boolean {
    return now >= this.markerUntil && this.markerDrawn;
  }

  private goDown(by: string, now: number): void {
    this.downed = true;
    this.downedBy = by;
    this.respawnAt = now + this.respawnMs;
    this.cues.downed?.();
  }

  private oldestDamage(): DamageCue {
    let oldest = this.damage[0];
    for (let i = 1; i < this.damageCount; i++) if (this.damage[i].at < oldest.at) oldest = this.damage[i];
    return oldest;
  }
}

/**
 * Direction of a damage source relative to where the player looks, as a clockwise screen
 * angle in radians: 0 straight ahead (top of the screen), pi/2 to the right, pi behind.
 * The player at (px, pz) looks along yaw (yaw 0 faces -Z, positive turns left).
 */
export function damageAngle(px: number, pz: number, yaw: number, sx: number, sz: number): number {
  const dx = sx - px;
  const dz = sz - pz;
  const s = Math.sin(yaw);
  const c = Math.cos(yaw);
  // forward = (-sin yaw, -cos yaw), right = (cos yaw, -sin yaw)
  const ahead = -dx * s - dz * c;
  const right = dx * c - dz * s;
  return Math.atan2(right, ahead);
}
