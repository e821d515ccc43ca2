// The page's end of a tab's replica worker (replica-worker.ts): typed requests with promised replies,
// notices, and the worker's events (engine-protocol.ts). Errors come back with their class and code
// (worker-protocol.ts), a read's error reply as a ReplicaCommandError.
//
// A worker that cannot be loaded (offline, its script not cached) fails every pending and later
// request with a StorageError; an error the worker throws outside any request is an `error` event.
import { ReplicaCommandError } from '../reads.ts'
import { StorageError } from '../storage/storage.ts'
import type { EngineEvent, EngineMessage, EngineNotice, EngineOutput, EngineRequest, EngineResults } from './engine-protocol.ts'
import type { StorageWorkerFactory } from './worker-client.ts'
import { deserializeError } from './worker-protocol.ts'

interface Pending {
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
}

export class EngineClient {
  readonly #worker: Worker
  readonly #what: string
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #failure: Error | null = null

  constructor(factory: StorageWorkerFactory, name: string, onEvent: (event: EngineEvent) => void) {
    this.#what = `the replica worker of "${name}"`
    this.#worker = factory(name)
    this.#worker.onmessage = (event: MessageEvent<EngineOutput>) => {
      const message = event.data
      if ('event' in message) {
        onEvent(message)
        return
      }
      const pending = this.#pending.get(message.id)
      if (pending === undefined) return
      this.#pending.delete(message.id)
      if (message.ok) pending.resolve(message.value)
      else pending.reject(message.reply !== undefined ? new ReplicaCommandError(message.reply) : deserializeError(message.error))
    }
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.()
      // An ErrorEvent with a message: thrown in the worker outside a request; it runs on.
      if (typeof event.message === 'string' && event.message.length > 0 && this.#failure === null) {
        onEvent({ event: 'error', error: { name: 'Error', message: `Uncaught in ${this.#what}: ${event.message}`, code: null } })
        return
      }
      // Its script failed to load: nothing will ever be answered.
      this.#fail(new StorageError(`${this.#what} failed (it could not be loaded); it is retried when the page comes back online.`))
    }
  }

  /** True once the worker failed or was terminated. */
  get failed(): boolean {
    return this.#failure !== null
  }

  request<Op extends EngineRequest['op']>(request: Extract<EngineRequest, { op: Op }>): Promise<EngineResults[Op]> {
    return this.requestWithId(request).promise
  }

  /** As `request`, with the id the request goes by (to cancel a wait). */
  requestWithId<Op extends EngineRequest['op']>(request: Extract<EngineRequest, { op: Op }>): { id: number; promise: Promise<EngineResults[Op]> } {
    const id = this.#nextId++
    if (this.#failure !== null) return { id, promise: Promise.reject(this.#failure) }
    const promise = new Promise<EngineResults[Op]>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      this.#worker.postMessage({ id, ...request } as EngineMessage)
    })
    return { id, promise }
  }

  notice(notice: EngineNotice, transfer: Transferable[] = []): void {
    if (this.#failure === null) this.#worker.postMessage(notice, transfer)
  }

  /** Forgets a pending wait (timed out here) and tells the worker to drop it. */
  cancel(id: number): void {
    if (this.#pending.delete(id)) this.notice({ op: 'cancel', wait: id })
  }

  /** Stops the worker at once; what is pending rejects. */
  terminate(error: Error = new Error('The replica is closed.')): void {
    this.#fail(error)
  }

  #fail(error: Error): void {
    if (this.#failure !== null) return
    this.#failure = error
    this.#worker.terminate()
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    for (const p of pending) p.reject(error)
  }
}
