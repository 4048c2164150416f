// Fire commands the server has not answered yet. A handful are ever in flight (one per weapon
// cooldown over a projectile's lifetime), so a small fixed table with linear search beats any
// map, and nothing is allocated per shot.

/** Commands in flight at most; a fire beyond it is refused locally. */
const MAX_PENDING_COMMANDS = 32;

/** The open fire commands: id, the server projectile it became (0 until seen), and a deadline. */
export class PendingCommands {
  count = 0;
  private readonly ids: Float64Array;
  private readonly projectiles: Float64Array;
  private readonly deadlines: Float64Array;

  constructor(readonly capacity = MAX_PENDING_COMMANDS) {
    this.ids = new Float64Array(capacity);
    this.projectiles = new Float64Array(capacity);
    this.deadlines = new Float64Array(capacity);
  }

  /** Opens command `id`, answered by `deadline` (ms) at the latest; false when the table is full. */
  add(id: number, deadline: number): boolean {
    if (this.count === this.capacity) return false;
    const i = this.count++;
    this.ids[i] = id;
    this.projectiles[i] = 0;
    this.deadlines[i] = deadline;
    return true;
  }

  /** True while command `id` is open. */
  has(id: number): boolean {
    return this.find(this.ids, id) >= 0;
  }

  /** Records the server projectile that command `id` became; false when the command is not open. */
  setProjectile(id: number, projectileId: number): boolean {
    const i = this.find(this.ids, id);
    if (i < 0) return false;
    this.projectiles[i] = projectileId;
    return true;
  }

  /** The open command whose server projectile is `projectileId`, or -1. */
  commandOfProjectile(projectileId: number): number {
    // 0 marks "not seen yet" in the column, never a real projectile.
    if (projectileId === 0) return -1;
    const i = this.find(this.projectiles, projectileId);
    return i < 0 ? -1 : this.ids[i];
  }

  /** Closes command `id`; false when it was not open. */
  remove(id: number): boolean {
    const i = this.find(this.ids, id);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  /** Closes every command whose deadline is before `now`, calling `expired(id)` for each. */
  expire(now: number, expired: (id: number) => void): void {
    let i = 0;
    while (i < this.count) {
      if (this.deadlines[i] < now) {
        const id = this.ids[i];
        this.removeAt(i);
        expired(id);
      } else {
        i++;
      }
    }
  }

  /** Closes every command, calling `closed(id)` for each. */
  drain(closed: (id: number) => void): void {
    while (this.count > 0) {
      const id = this.ids[this.count - 1];
      this.count--;
      closed(id);
    }
  }

  private find(column: Float64Array, value: number): number {
    for (let i = 0; i < this.count; i++) if (column[i] === value) return i;
    return -1;
  }

  /** Swap-remove: order does not matter. */
  private removeAt(i: number): void {
    const last = --this.count;
    this.ids[i] = this.ids[last];
    this.projectiles[i] = this.projectiles[last];
    this.deadlines[i] = this.deadlines[last];
  }
}
