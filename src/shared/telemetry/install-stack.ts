// Telemetry backends installed over a no-op default: the newest one installed is active. A
// stack, not a saved "previous": uninstalling out of order (two servers in one test process,
// a page feature disposed before a later one) never brings back a backend already uninstalled.

/** The installed backends of one facade, over its default. */
export class InstallStack<T> {
  private readonly installed: { readonly backend: T }[] = [];
  private current: T;

  /** `changed` runs after every install and uninstall with the backend now active. */
  constructor(
    private readonly fallback: T,
    private readonly changed: (active: T) => void = () => {},
  ) {
    this.current = fallback;
  }

  /** The newest installed backend, or the default when none is. */
  get active(): T {
    return this.current;
  }

  /** Installs `backend` on top; returns its uninstall (a second call does nothing). */
  install(backend: T): () => void {
    const entry = { backend };
    this.installed.push(entry);
    this.refresh();
    return () => {
      const i = this.installed.indexOf(entry);
      if (i < 0) return;
      this.installed.splice(i, 1);
      this.refresh();
    };
  }

  private refresh(): void {
    this.current = this.installed.at(-1)?.backend ?? this.fallback;
    this.changed(this.current);
  }
}
