// The states of a storage and of a full-sync writer, shared by the adapters so that misuse fails the
// same way everywhere (the contract suite checks these messages' codes, not their wording).
//
//   storage:  new ─open()─► opening ─► open ─close() / crash─► closed
//   writer:   active ─commit()─► committed      active ─abort()─► aborted
//             active ─beginFullSync() again─► superseded
//             active ─a write fails─► failed (every later call rejects with that error; abort() cleans up)
//             any ─storage closed─► closed
import { StorageClosedError, StorageError } from './storage.ts'

export class StorageLifecycle {
  #state: 'new' | 'opening' | 'open' | 'closed' = 'new'
  readonly #what: string

  constructor(what: string) {
    this.#what = what
  }

  get closed(): boolean {
    return this.#state === 'closed'
  }

  /** Throws unless `open()` may start now. */
  beginOpen(): void {
    if (this.#state === 'closed') throw new StorageClosedError(this.#what)
    if (this.#state !== 'new') throw new StorageError(`${this.#what} was already opened; open() is called once per instance.`)
    this.#state = 'opening'
  }

  /** After a successful open. A failed open leaves the instance closed. */
  opened(): void {
    if (this.#state === 'opening') this.#state = 'open'
  }

  /** Throws unless the storage is open. */
  check(): void {
    if (this.#state === 'open') return
    if (this.#state === 'closed') throw new StorageClosedError(this.#what)
    throw new StorageError(`${this.#what} is not open yet; await open() before using it.`)
  }

  /** Marks it closed; false when it already was. */
  close(): boolean {
    if (this.#state === 'closed') return false
    this.#state = 'closed'
    return true
  }
}

type WriterStatus =
  | { readonly kind: 'active' }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'ended'; readonly reason: 'aborted' | 'committed' | 'superseded' }
  | { readonly kind: 'closed' }

const ENDED_MESSAGES = {
  aborted: 'This full sync was aborted; begin a new one with beginFullSync().',
  committed: 'This full sync was already committed; begin a new one with beginFullSync().',
  superseded: 'This full sync was superseded by a later beginFullSync(); use the newer writer.',
} as const

export class WriterLifecycle {
  #status: WriterStatus = { kind: 'active' }
  readonly #what: string

  constructor(what: string) {
    this.#what = what
  }

  get active(): boolean {
    return this.#status.kind === 'active'
  }

  /** True when abort() still has a generation to drop (active or failed). */
  get pending(): boolean {
    return this.#status.kind === 'active' || this.#status.kind === 'failed'
  }

  /** Throws unless write()/commit() may proceed. */
  check(): void {
    const status = this.#status
    switch (status.kind) {
      case 'active':
        return
      case 'failed':
        throw status.error
      case 'ended':
        throw new StorageError(ENDED_MESSAGES[status.reason])
      case 'closed':
        throw new StorageClosedError(this.#what)
    }
  }

  /** Records a failure (the first one wins) and returns the error to throw. */
  fail(error: Error): Error {
    if (this.#status.kind === 'active') this.#status = { kind: 'failed', error }
    return error
  }

  end(reason: 'aborted' | 'committed' | 'superseded'): void {
    if (this.#status.kind !== 'closed') this.#status = { kind: 'ended', reason }
  }

  close(): void {
    this.#status = { kind: 'closed' }
  }
}

/**
 * Runs calls of `fn` one after the other, in call order, even when the caller does not await each
 * (a full-sync writer's `write`); `idle()` resolves once every call so far has settled.
 */
export function serialize<A extends unknown[]>(fn: (...args: A) => Promise<void>): ((...args: A) => Promise<void>) & { idle(): Promise<void> } {
  let tail: Promise<void> = Promise.resolve()
  const run = (...args: A): Promise<void> => {
    const result = tail.then(() => fn(...args))
    tail = result.catch(() => {})
    return result
  }
  return Object.assign(run, { idle: () => tail })
}
