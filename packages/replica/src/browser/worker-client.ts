// The main thread's end of a storage worker: typed requests with promised replies (worker-protocol.ts).
// One client per worker; terminating it rejects whatever is pending with StorageClosedError, as a
// closed or crashed storage does.
import { StorageClosedError, StorageError } from '../storage/storage.ts'
import {
  deserializeError,
  transferables,
  type SerializedError,
  type WorkerMessage,
  type WorkerReply,
  type WorkerRequest,
  type WorkerResults,
} from './worker-protocol.ts'

/** Makes the storage worker. The default loads storage-worker-entry.ts as a module worker. */
export type StorageWorkerFactory = (name: string) => Worker

export const defaultStorageWorker: StorageWorkerFactory = (name) =>
  new Worker(new URL('./storage-worker-entry.ts', import.meta.url), { type: 'module', name: `replicast-storage:${name}` })

interface Pending {
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
  readonly onBatch: ((batch: ArrayBuffer) => void) | undefined
}

export class WorkerClient {
  readonly #worker: Worker
  readonly #what: string
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #terminated = false
  #failure: Error | null = null

  constructor(factory: StorageWorkerFactory, name: string, onBackgroundError: (error: Error) => void) {
    this.#what = `IndexedDB storage "${name}"`
    this.#worker = factory(name)
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const message = event.data
      if ('event' in message) {
        onBackgroundError(deserializeError(message.error))
        return
      }
      const pending = this.#pending.get(message.id)
      if (pending === undefined) return
      if ('batch' in message) {
        pending.onBatch?.(message.batch)
        return
      }
      this.#pending.delete(message.id)
      if (message.ok) pending.resolve(message.value)
      else pending.reject(deserializeError(message.error as SerializedError))
    }
    this.#worker.onerror = (event: ErrorEvent) => {
      // The worker script failed to load or threw outside a request: nothing pending will be answered.
      event.preventDefault?.()
      this.#fail(new StorageError(`The storage worker of ${this.#what} failed (${event.message || 'it could not be loaded'}); reopen the storage.`))
    }
  }

  get terminated(): boolean {
    return this.#terminated
  }

  request<Op extends WorkerRequest['op']>(
    request: Extract<WorkerRequest, { op: Op }>,
    onBatch?: (batch: ArrayBuffer) => void,
  ): Promise<WorkerResults[Op]> {
    if (this.#terminated) return Promise.reject(this.#failure ?? new StorageClosedError(this.#what))
    const id = this.#nextId++
    return new Promise<WorkerResults[Op]>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, onBatch })
      const message: WorkerMessage = { id, ...request }
      this.#worker.postMessage(message, transferables(request))
    })
  }

  /** Stops the worker at once; what is pending rejects with StorageClosedError. */
  terminate(): void {
    this.#fail(new StorageClosedError(this.#what))
  }

  #fail(error: Error): void {
    if (this.#terminated) return
    this.#terminated = true
    this.#failure = error
    this.#worker.terminate()
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    for (const p of pending) p.reject(error)
  }
}
