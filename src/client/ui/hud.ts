/**
 * In-game overlay: a crosshair in the middle of the view and a hint that appears while the
 * mouse is not captured. Plain DOM over the canvas, styled in style.css.
 */
export class Hud {
  private readonly crosshair: HTMLDivElement;
  private readonly hint: HTMLDivElement;

  constructor(parent: HTMLElement = document.body) {
    this.crosshair = document.createElement("div");
    this.crosshair.className = "crosshair";
    this.crosshair.setAttribute("aria-hidden", "true");
    this.hint = document.createElement("div");
    this.hint.className = "hint";
    this.hint.textContent = "Click to play: WASD move, mouse look, Space jump, left click fire";
    this.crosshair.hidden = true;
    this.hint.hidden = true;
    parent.append(this.crosshair, this.hint);
  }

  /** Shows the crosshair (once playing) and the capture hint while the pointer is free. Called per frame; touches the DOM only on change. */
  update(playing: boolean, pointerLocked: boolean): void {
    const hideCrosshair = !playing;
    const hideHint = !playing || pointerLocked;
    if (this.crosshair.hidden !== hideCrosshair) this.crosshair.hidden = hideCrosshair;
    if (this.hint.hidden !== hideHint) this.hint.hidden = hideHint;
  }
}
