// A small typed event emitter that runs the same in browsers and Node. A listener that throws is
// reported through the 'error' event (or rethrown asynchronously when nobody listens), never lost.

export type Listener<A extends unknown[]> = (...args: A) => void

export class Emitter<Events extends { [K in keyof Events]: unknown[] } & { error: [Error] }> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never[]>>>()

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) this.#listeners.set(event, (set = new Set()))
    set.add(listener as unknown as Listener<never[]>)
    return () => this.off(event, listener)
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(event)?.delete(listener as unknown as Listener<never[]>)
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.#listeners.get(event)?.size ?? 0
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#listeners.get(event)
    if (set === undefined || set.size === 0) {
      if (event === 'error') queueMicrotask(() => { throw args[0] })
      return
    }
    for (const listener of [...set]) {
      try {
        ;(listener as unknown as Listener<Events[K]>)(...args)
      } catch (error) {
        if (event === 'error') queueMicrotask(() => { throw error })
        else this.emit('error' as K, ...([error instanceof Error ? error : new Error(String(error))] as unknown as Events[K]))
      }
    }
  }
}
