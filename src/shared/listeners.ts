// Subscribers of one event, the way every emitter here keeps them: add() returns the
// unsubscribe, emit() calls them in the order they came.

/** The listeners of one event of signature F. */
export class Listeners<F extends (...args: never[]) => void> {
  private readonly list: F[] = [];

  /** Adds `listener`; returns the function that removes it again. */
  add(listener: F): () => void {
    this.list.push(listener);
    return () => {
      const i = this.list.indexOf(listener);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  /** Calls every listener with `args`. */
  emit(...args: Parameters<F>): void {
    for (const l of this.list) l(...args);
  }

  /** Removes every listener. */
  clear(): void {
    this.list.length = 0;
  }
}
