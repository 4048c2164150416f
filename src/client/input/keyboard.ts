/**
 * Held-key state by KeyboardEvent.code (layout independent: WASD stays in place on AZERTY).
 * Keys are released when the window loses focus, so a key held while alt-tabbing away
 * does not keep the player walking.
 */
export class Keyboard {
  private readonly down = new Set<string>();
  private readonly onKeyDown = (e: KeyboardEvent) => {
    if (e.code === "Space" || e.code.startsWith("Arrow")) e.preventDefault();
    this.down.add(e.code);
  };
  private readonly onKeyUp = (e: KeyboardEvent) => {
    this.down.delete(e.code);
  };
  private readonly onBlur = () => this.down.clear();

  constructor(private readonly target: Window = window) {
    target.addEventListener("keydown", this.onKeyDown);
    target.addEventListener("keyup", this.onKeyUp);
    target.addEventListener("blur", this.onBlur);
  }

  isDown(code: string): boolean {
    return this.down.has(code);
  }

  /** -1, 0 or 1 from a pair of keys. */
  axis(negative: string, positive: string, negative2?: string, positive2?: string): number {
    const n = this.down.has(negative) || (negative2 !== undefined && this.down.has(negative2));
    const p = this.down.has(positive) || (positive2 !== undefined && this.down.has(positive2));
    return (p ? 1 : 0) - (n ? 1 : 0);
  }

  dispose(): void {
    this.target.removeEventListener("keydown", this.onKeyDown);
    this.target.removeEventListener("keyup", this.onKeyUp);
    this.target.removeEventListener("blur", this.onBlur);
  }
}
