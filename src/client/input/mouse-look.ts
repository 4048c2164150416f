/** Radians per pixel of mouse motion at sensitivity 1. */
export const BASE_LOOK_SPEED = 0.0025;

/**
 * Pointer-lock mouse look and fire button. Clicking the canvas requests pointer lock; while
 * locked, mouse motion accumulates into look deltas (read and reset once per frame) and the
 * left button fires. Without lock (a click that only captures the mouse) nothing fires, so
 * the first click never shoots by surprise. `onLockChange` hears every capture and release
 * (Escape, a lost window focus), for the pause menu.
 */
export class MouseLook {
  /** Radians per pixel of mouse motion. */
  sensitivity = BASE_LOOK_SPEED;
  /** Moving the mouse up looks down. */
  invertY = false;
  private dx = 0;
  private dy = 0;
  private readonly onClick = () => {
    if (!this.locked) {
      // Promise-returning in current browsers, void in older ones; failures only mean no lock.
      const r = this.canvas.requestPointerLock() as unknown;
      if (r instanceof Promise) r.catch(() => undefined);
    }
  };
  private readonly onMove = (e: MouseEvent) => {
    if (!this.locked) return;
    this.dx += e.movementX;
    this.dy += e.movementY;
  };
  private readonly onDown = (e: MouseEvent) => {
    if (this.locked && e.button === 0) this.onFire();
  };

  private readonly onLock = () => {
    this.dx = 0;
    this.dy = 0;
    this.onLockChange?.(this.locked);
  };

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onFire: () => void,
    private readonly onLockChange?: (locked: boolean) => void,
  ) {
    canvas.addEventListener("click", this.onClick);
    document.addEventListener("mousemove", this.onMove);
    document.addEventListener("mousedown", this.onDown);
    document.addEventListener("pointerlockchange", this.onLock);
  }

  get locked(): boolean {
    return document.pointerLockElement === this.canvas;
  }

  /** Yaw change (radians, positive = turn left) since the last call; resets the accumulator. */
  takeYaw(): number {
    const v = -this.dx * this.sensitivity;
    this.dx = 0;
    return v;
  }

  /** Pitch change (radians, positive = look up) since the last call; resets the accumulator. */
  takePitch(): number {
    const v = (this.invertY ? this.dy : -this.dy) * this.sensitivity;
    this.dy = 0;
    return v;
  }

  dispose(): void {
    this.canvas.removeEventListener("click", this.onClick);
    document.removeEventListener("mousemove", this.onMove);
    document.removeEventListener("mousedown", this.onDown);
    document.removeEventListener("pointerlockchange", this.onLock);
  }
}
