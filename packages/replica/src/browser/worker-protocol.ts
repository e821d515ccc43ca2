// The messages between a tab's main thread (worker-storage.ts, the ReplicaStorage proxy) and its
// storage worker (storage-worker.ts, which owns IndexedDB). Every request carries an `id`; the worker
// answers each with exactly one reply of the same id, after zero or more `batch` messages (a load
// streams its records). Record data travels packed (record-codec.ts) in ArrayBuffers that are
// transferred, never copied.
//
//   main ──{id, op: 'open' | 'load' | 'get' | 'commit' | 'begin-full-sync' | 'write' | 'switch' | 'abort' | …}──► worker
//   main ◄─{id, batch}* ─{id, ok, value | error}───────────────────────────────────────────────────────────── worker
//   main ◄─{event: 'background-error', error}─────────────────────────────────────────────────────────────── worker
//
// Two modes, chosen by `open`: 'owner' (the leader tab: the IndexedDB adapter, every write) and
// 'reader' (a follower tab: reads of the committed state only; it never writes nor cleans up, so it
// cannot disturb a full sync the leader is writing).
//
// Errors cross as plain objects and are rebuilt with their class and code (StorageQuotaError keeps
// `limit`), so the shell treats a quota error from the worker exactly as one from an adapter.
import {
  StorageClosedError,
  StorageCorruptError,
  StorageError,
  StorageInputError,
  StorageQuotaError,
  STORAGE_ERROR_CODES,
  type ReplicationMeta,
  type StorageErrorCode,
} from '../storage/storage.ts'
import type { IndexedDbStorageOptions } from '../storage/indexeddb.ts'

/** Options of the IndexedDB adapter that the worker creates (see IndexedDbStorageOptions). */
export type WorkerIdbOptions = Partial<Pick<IndexedDbStorageOptions, (typeof WORKER_IDB_OPTIONS)[number]>>

/** The adapter's options a worker passes on (all plain data, so they cross postMessage). */
export const WORKER_IDB_OPTIONS = Object.freeze([
  'commitDurability',
  'fullSyncBatchBytes',
  'pageBuckets',
  'compactLogBytes',
  'bucketPagesLimit',
  'loadBatchRecords',
  'deleteBatchPages',
] as const)

export type WorkerRequest =
  | { readonly op: 'open'; readonly mode: 'owner' | 'reader'; readonly name: string; readonly idb: WorkerIdbOptions; readonly broadcast: string | null }
  /** Streams the current generation as batches; replies with the meta they describe. */
  | { readonly op: 'load' }
  | { readonly op: 'get'; readonly db: number; readonly key: string }
  | { readonly op: 'commit'; readonly batch: ArrayBuffer; readonly meta: ReplicationMeta }
  | { readonly op: 'begin-full-sync' }
  | { readonly op: 'write'; readonly writer: number; readonly batch: ArrayBuffer }
  | { readonly op: 'switch'; readonly writer: number; readonly meta: ReplicationMeta }
  | { readonly op: 'abort'; readonly writer: number }
  | { readonly op: 'estimate' }
  | { readonly op: 'close' }

export type WorkerOp = WorkerRequest['op']

/** What each request resolves with. */
export interface WorkerResults {
  open: ReplicationMeta | null
  load: ReplicationMeta | null
  get: ArrayBuffer | null
  commit: null
  'begin-full-sync': number
  write: null
  switch: null
  abort: null
  estimate: number | null
  close: null
}

export type WorkerMessage = { readonly id: number } & WorkerRequest

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError }
  | { readonly id: number; readonly batch: ArrayBuffer }
  | { readonly event: 'background-error'; readonly error: SerializedError }

/** An error as plain data (structured-cloneable), with what its class carries. */
export interface SerializedError {
  readonly name: string
  readonly message: string
  readonly code: string | null
  readonly limit?: string
  readonly limitBytes?: number | null
  readonly neededBytes?: number | null
  readonly path?: string | null
  readonly position?: number | null
  readonly cause?: SerializedError
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), code: null }
  const e = error as Error & Partial<Record<'code' | 'limit' | 'limitBytes' | 'neededBytes' | 'path' | 'position', unknown>>
  const out: { -readonly [K in keyof SerializedError]: SerializedError[K] } = {
    name: e.name,
    message: e.message,
    code: typeof e.code === 'string' ? e.code : null,
  }
  if (error instanceof StorageQuotaError) {
    out.limit = error.limit
    out.limitBytes = error.limitBytes
    out.neededBytes = error.neededBytes
  }
  if (error instanceof StorageCorruptError) {
    out.path = error.path
    out.position = error.position
  }
  if (error.cause !== undefined) out.cause = serializeError(error.cause)
  return out
}

const STORAGE_CODES = new Set<string>(Object.values(STORAGE_ERROR_CODES))

/** Rebuilds an error with its class: storage errors by code, anything else as a plain Error. */
export function deserializeError(data: SerializedError): Error {
  const options = data.cause === undefined ? undefined : { cause: deserializeError(data.cause) }
  let error: Error
  if (data.code !== null && STORAGE_CODES.has(data.code)) {
    switch (data.code as StorageErrorCode) {
      case STORAGE_ERROR_CODES.quota:
        error = new StorageQuotaError(data.message, { limit: data.limit ?? 'browser-quota', limitBytes: data.limitBytes ?? null, neededBytes: data.neededBytes ?? null }, options)
        break
      case STORAGE_ERROR_CODES.corrupt:
        error = new StorageCorruptError(data.message, { path: data.path ?? null, position: data.position ?? null }, options)
        break
      case STORAGE_ERROR_CODES.input:
        error = new StorageInputError(data.message)
        break
      case STORAGE_ERROR_CODES.closed:
        error = new StorageClosedError('storage')
        error.message = data.message
        break
      default:
        error = new StorageError(data.message, { ...options, code: data.code as StorageErrorCode })
    }
  } else {
    error = new Error(data.message, options)
    if (data.code !== null) (error as { code?: string }).code = data.code
  }
  error.name = data.name
  return error
}

/** The ArrayBuffers in a request, to transfer rather than copy. */
export function transferables(request: WorkerRequest): Transferable[] {
  return 'batch' in request ? [request.batch] : []
}
