/**
 * Serializes async work per key inside this process, so a burst of commands on one stream runs one at a
 * time instead of racing into optimistic-concurrency conflicts. Keys without waiters are forgotten.
 */
export class KeyedLock {
  /** Per key held, the waiters in arrival order (each resumed by the one before it). */
  private readonly waiting = new Map<string, Array<() => void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    let queue = this.waiting.get(key);
    if (queue) {
      const waiters = queue;
      await new Promise<void>((resolve) => waiters.push(resolve));
    } else {
      // Uncontended (the usual case): no promise to wait for.
      queue = [];
      this.waiting.set(key, queue);
    }
    try {
      return await work();
    } finally {
      const next = queue.shift();
      if (next) next();
      else this.waiting.delete(key);
    }
  }
}
