/**
 * Whether the game is paused for the settings panel: Escape (or losing the pointer lock) pauses,
 * a click on the game resumes. The panel shows itself while paused; the game stops taking
 * movement while paused (online the world goes on: the server does not pause).
 */
export class PauseState {
  private value = false;
  private readonly listeners = new Set<(paused: boolean) => void>();

  get paused(): boolean {
    return this.value;
  }

  /** Pauses or resumes; listeners run synchronously, only on a change. */
  set(paused: boolean): void {
    if (paused === this.value) return;
    this.value = paused;
    for (const l of this.listeners) l(paused);
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (paused: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
