// The order and failure rules of `commit()` (and of a full sync's switch), shared by the adapters.
//
// Commits describe consecutive slices of the master's stream, each building on the one before. So:
//  1. They are applied in call order, one after the other (or a run of them together, atomically,
//     where the adapter groups them: the file adapter writes a run as one log frame, one fsync).
//  2. When one fails, every commit called while it was queued or running fails too, unapplied: a
//     later slice must never be stored on top of a missing earlier one, or the stored offset would
//     claim data the store does not have. Once the queue is empty (the caller has had the failure),
//     commits are accepted again.
// A commit whose input is invalid fails in its turn like any other, so it blocks the ones behind it.
//
//   push(prepare) ──► [queued] ──turn──► failed already? / earlier failure? ──► reject
//                                  └──► run (alone, or grouped with the groupable ones behind it)
import { StorageClosedError, StorageError } from './storage.ts'

interface Entry<T> {
  readonly item: T | null
  readonly error: Error | null
  readonly groupable: boolean
  /** Not an item: resolves when reached, whatever happened before it. */
  readonly barrier?: boolean
  readonly resolve: () => void
  readonly reject: (error: Error) => void
}

export interface CommitQueueOptions<T> {
  /** Applies `items` atomically (all or none), in order. Called with one item at a time unless they are groupable. */
  readonly run: (items: readonly T[]) => Promise<void>
  /** Most items run together. @default 1 */
  readonly maxGroup?: number
  /** Names the storage in errors. */
  readonly what: string
}

export class CommitQueue<T> {
  readonly #entries: Entry<T>[] = []
  readonly #options: CommitQueueOptions<T>
  #running = false
  /** The first failure since the queue was last empty. */
  #failure: Error | null = null
  #closed = false
  #idle: (() => void)[] = []

  constructor(options: CommitQueueOptions<T>) {
    this.#options = options
  }

  /**
   * Queues an item. `prepare` runs now, synchronously (input checks, encoding); if it throws, the
   * entry fails in its turn with that error. `groupable` items may run together with their neighbours.
   */
  push(prepare: () => T, groupable = true): Promise<void> {
    if (this.#closed) return Promise.reject(new StorageClosedError(this.#options.what))
    let item: T | null = null
    let error: Error | null = null
    try {
      item = prepare()
    } catch (thrown) {
      error = thrown instanceof Error ? thrown : new StorageError(String(thrown))
    }
    return new Promise<void>((resolve, reject) => {
      this.#entries.push({ item, error, groupable, resolve, reject })
      if (!this.#running) {
        this.#running = true
        // Start on a microtask, so commits called in the same tick queue behind each other.
        queueMicrotask(() => void this.#drain())
      }
    })
  }

  /**
   * Resolves once everything queued so far has settled (succeeded or failed), without waiting for
   * what is queued later; it never fails and never blocks what follows it.
   */
  barrier(): Promise<void> {
    if (!this.#running) return Promise.resolve()
    return new Promise<void>((resolve) => {
      this.#entries.push({ item: null, error: null, groupable: false, barrier: true, resolve, reject: () => resolve() })
    })
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Rejects everything queued (not what is running) with StorageClosedError; later pushes reject too. */
  close(): void {
    this.#closed = true
    const dropped = this.#entries.splice(0)
    for (const entry of dropped) {
      if (entry.barrier === true) entry.resolve()
      else entry.reject(new StorageClosedError(this.#options.what))
    }
  }

  async #drain(): Promise<void> {
    const maxGroup = this.#options.maxGroup ?? 1
    while (this.#entries.length > 0) {
      const first = this.#entries[0]!
      if (first.barrier === true) {
        this.#entries.shift()
        first.resolve()
        continue
      }
      if (first.error !== null || this.#failure !== null) {
        this.#entries.shift()
        const error = first.error ?? this.#blocked(this.#failure!)
        this.#failure ??= error
        first.reject(error)
        continue
      }
      let count = 1
      if (first.groupable) {
        while (count < maxGroup && count < this.#entries.length) {
          const next = this.#entries[count]!
          if (next.error !== null || !next.groupable || next.barrier === true) break
          count++
        }
      }
      const group = this.#entries.splice(0, count)
      try {
        await this.#options.run(group.map((entry) => entry.item as T))
        for (const entry of group) entry.resolve()
      } catch (thrown) {
        const error = thrown instanceof Error ? thrown : new StorageError(String(thrown))
        this.#failure ??= error
        for (const entry of group) entry.reject(error)
      }
    }
    this.#failure = null
    this.#running = false
    for (const resolve of this.#idle.splice(0)) resolve()
  }

  #blocked(failure: Error): StorageError {
    return new StorageError(
      `Not applied: an earlier commit failed while this one was queued (${failure.message}). ` +
        'Commits build on each other, so none queued behind a failed one is stored; commit again once the failure is handled.',
      { cause: failure },
    )
  }
}
