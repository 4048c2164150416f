// The one design for a telemetry facade's backend: installed backends form a stack, the newest
// active, and each install returns its own uninstall. Not a saved "previous" backend: undone
// out of order (two servers in one test process, a page that starts telemetry twice), a saved
// previous brings back a backend that was already uninstalled; a stack never does.

/** Backends installed over a fallback (the no-op); the newest installed one is active. */
export class InstallStack<T> {
  // One entry object per install, so a backend installed twice is removed once per uninstall.
  private readonly entries: { readonly item: T }[] = [];

  /** `onChange` is called with the new active backend after every install and uninstall. */
  constructor(
    private readonly fallback: T,
    private readonly onChange: (active: T) => void = () => {},
  ) {}

  /** The newest installed backend, or the fallback. */
  get active(): T {
    return this.entries.at(-1)?.item ?? this.fallback;
  }

  /** Makes `item` active; returns a function removing it (only it, once) whenever it is called. */
  install(item: T): () => void {
    const entry = { item };
    this.entries.push(entry);
    this.onChange(this.active);
    return () => {
      const i = this.entries.indexOf(entry);
      if (i < 0) return;
      this.entries.splice(i, 1);
      this.onChange(this.active);
    };
  }
}
