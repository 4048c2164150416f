// In-game overlay: the crosshair, the capture hint while the mouse is free, the health bar
// with its number, the hit marker, damage-direction wedges and the downed screen with its
// respawn countdown. Plain DOM over the canvas (styles in hud.css and style.css), text
// through textContent only; render() touches the DOM only where something changed.
import type { HudModel } from "./hud-model.ts";
import { damageAngle, HUD } from "./hud-model.ts";
import "./hud.css";

/** Health at or below this share of the maximum shows as low. */
const LOW_HEALTH = 0.3;

/** Where the player is and looks, for the damage directions. */
export interface HudView {
  readonly x: number;
  readonly z: number;
  readonly yaw: number;
}

export class Hud {
  private readonly crosshair: HTMLDivElement;
  private readonly hint: HTMLDivElement;
  private readonly health: HTMLDivElement;
  private readonly healthFill: HTMLDivElement;
  private readonly healthText: HTMLSpanElement;
  private readonly marker: HTMLDivElement;
  private readonly damage: HTMLDivElement;
  private readonly arcs: HTMLDivElement[] = [];
  /** Per arc: the angle (centiradians) and opacity (percent) last written, so still frames write nothing. */
  private readonly arcShown = new Int32Array(HUD.maxDamage * 2).fill(-1 << 30);
  private readonly downed: HTMLDivElement;
  private readonly downedBy: HTMLParagraphElement;
  private readonly countdown: HTMLParagraphElement;
  private shown = { health: -1, max: -1, marker: "", countdown: -1, by: "" };

  constructor(parent: HTMLElement = document.body) {
    const doc = parent.ownerDocument;
    const div = (className: string, testid?: string): HTMLDivElement => {
      const el = doc.createElement("div");
      el.className = className;
      if (testid !== undefined) el.dataset.testid = testid;
      el.hidden = true;
      return el;
    };
    this.crosshair = div("crosshair");
    this.crosshair.setAttribute("aria-hidden", "true");
    this.hint = div("hint");
    this.hint.textContent = "Click to play · WASD move · Space jump · click fire · Tab scores · Esc settings";

    this.health = div("hud-health");
    this.health.setAttribute("role", "meter");
    this.health.setAttribute("aria-label", "Health");
    const bar = div("hud-health-bar");
    bar.hidden = false;
    this.healthFill = div("hud-health-fill");
    this.healthFill.hidden = false;
    bar.append(this.healthFill);
    this.healthText = doc.createElement("span");
    this.healthText.dataset.testid = "hud-health";
    this.health.append(bar, this.healthText);

    this.marker = div("hit-marker", "hit-marker");
    this.marker.setAttribute("aria-hidden", "true");
    this.damage = div("damage-indicator", "damage-indicator");
    this.damage.setAttribute("aria-hidden", "true");
    for (let i = 0; i < HUD.maxDamage; i++) {
      const arc = div("damage-arc");
      this.arcs.push(arc);
      this.damage.append(arc);
    }

    this.downed = div("downed-screen", "downed-screen");
    this.downed.setAttribute("role", "status");
    const title = doc.createElement("h2");
    title.textContent = "Downed";
    this.downedBy = doc.createElement("p");
    this.countdown = doc.createElement("p");
    this.countdown.className = "countdown";
    this.downed.append(title, this.downedBy, this.countdown);

    parent.append(this.crosshair, this.hint, this.health, this.marker, this.damage, this.downed);
  }

  /** Shows the crosshair (once playing) and the capture hint while the pointer is free. Called per frame; touches the DOM only on change. */
  update(playing: boolean, pointerLocked: boolean): void {
    const hideCrosshair = !playing;
    const hideHint = !playing || pointerLocked;
    if (this.crosshair.hidden !== hideCrosshair) this.crosshair.hidden = hideCrosshair;
    if (this.hint.hidden !== hideHint) this.hint.hidden = hideHint;
    if (this.health.hidden !== !playing) this.health.hidden = !playing;
  }

  /** Draws the model's state for time `now` (ms) as seen by the player at `view`. */
  render(m: HudModel, now: number, view: HudView): void {
    const s = this.shown;
    if (m.health !== s.health || m.maxHealth !== s.max) {
      s.health = m.health;
      s.max = m.maxHealth;
      this.healthText.textContent = String(m.health);
      this.healthFill.style.width = `${Math.round((100 * Math.max(0, m.health)) / m.maxHealth)}%`;
      this.health.setAttribute("aria-valuenow", String(m.health));
      this.health.setAttribute("aria-valuemax", String(m.maxHealth));
      this.health.classList.toggle("low", m.health <= m.maxHealth * LOW_HEALTH);
    }
    if (m.marker !== s.marker) {
      s.marker = m.marker;
      this.marker.hidden = m.marker === "none";
      this.marker.classList.toggle("down", m.marker === "down");
      this.marker.dataset.kind = m.marker;
    }
    this.renderDamage(m, now, view);
    const count = m.downed ? m.countdown(now) : -1;
    if (count !== s.countdown || m.downedBy !== s.by) {
      s.countdown = count;
      s.by = m.downedBy;
      this.downed.hidden = !m.downed;
      this.downedBy.textContent = m.downedBy ? `by ${m.downedBy}` : "";
      this.countdown.textContent = count > 0 ? `Respawning in ${count}` : "Respawning…";
    }
  }

  private renderDamage(m: HudModel, now: number, view: HudView): void {
    const any = m.damageCount > 0;
    if (this.damage.hidden === any) this.damage.hidden = !any;
    for (let i = 0; i < this.arcs.length; i++) {
      const arc = this.arcs[i];
      const on = i < m.damageCount;
      if (arc.hidden === on) arc.hidden = !on;
      if (!on) continue;
      const cue = m.damage[i];
      const angle = Math.round(damageAngle(view.x, view.z, view.yaw, cue.sx, cue.sz) * 100);
      const opacity = Math.round(Math.min(1, (cue.until - now) / 400) * 100);
      if (angle !== this.arcShown[i * 2]) {
        this.arcShown[i * 2] = angle;
        arc.style.transform = `rotate(${angle / 100}rad) translateY(-120px)`;
      }
      if (opacity !== this.arcShown[i * 2 + 1]) {
        this.arcShown[i * 2 + 1] = opacity;
        arc.style.opacity = String(opacity / 100);
      }
    }
  }
}
