// A ReplicaStorage on the page's main thread whose IndexedDB work runs in a dedicated worker
// (storage-worker.ts): the shell (createReplica) uses it like any adapter, and the main thread only
// checks and packs records (record-codec.ts) and unpacks what a load or a get returns. DESIGN §9
// measured the difference: a 25 ms worst main-thread gap while loading, against hundreds on the page.
//
//   createWorkerStorage({ name })   the leader's store: every ReplicaStorage operation, in owner mode
//   createWorkerReader({ name })    a follower's read-only view of the same database (reader mode)
//
// Commits and full-sync switches are sequenced here, by the same CommitQueue the adapters use: one
// is in the worker at a time, a failure fails those queued behind it, and a commit with bad input
// fails in its turn (commit-queue.ts). The shell's Persister sends one commit at a time anyway, so
// this costs no throughput. Input is checked here, before anything crosses, with the adapters' own
// checks (input.ts), so a bad record is refused with the same StorageInputError.
//
// Deliberately left out: backpressure on loads (the worker reads IndexedDB far slower than the main
// thread unpacks, so batches do not pile up), and estimateBytes in reader mode.
import { readRdbValue, type ByteString, type KeyRecord } from '@replicast/core'
import { CommitQueue } from '../storage/commit-queue.ts'
import { checkChange, checkMeta, checkRecord, copyMeta, encodeValue } from '../storage/input.ts'
import { StorageLifecycle } from '../storage/lifecycle.ts'
import {
  kSimulateCrash,
  StorageCorruptError,
  type CrashableStorage,
  type FullSyncWriter,
  type ReplicationMeta,
  type StorageChange,
  type StorageError,
} from '../storage/storage.ts'
import { readPacked, RecordPacker } from '../storage/record-codec.ts'
import { TaskPump } from './task-pump.ts'
import { defaultStorageWorker, WorkerClient, type StorageWorkerFactory } from './worker-client.ts'
import { WORKER_IDB_OPTIONS, type WorkerIdbOptions } from './worker-protocol.ts'

export interface WorkerStorageOptions extends WorkerIdbOptions {
  /** Name of the IndexedDB database (as createIndexedDbStorage's `name`). */
  readonly name: string
  /**
   * Name of the BroadcastChannel on which the worker announces every durable commit and full-sync
   * switch to follower tabs (tab-protocol.ts); null announces nothing.
   * @default null
   */
  readonly broadcast?: string | null
  /** Makes the worker. @default a module worker running storage-worker-entry.ts */
  readonly worker?: StorageWorkerFactory
  /**
   * Receives failures of the worker's background work (removing an old generation) and the loss of
   * the database (another tab deleted it, site data cleared).
   * @default console.warn
   */
  readonly onBackgroundError?: (error: StorageError | Error) => void
}

export interface WorkerStorage extends CrashableStorage {
  readonly name: string
}

type QueueItem =
  | { readonly op: 'commit'; readonly batch: ArrayBuffer; readonly meta: ReplicationMeta }
  | { readonly op: 'switch'; readonly writer: number; readonly meta: ReplicationMeta }

/** Checks and packs changes exactly as an adapter would check them (StorageInputError before anything is sent). */
function packChanges(changes: readonly StorageChange[]): ArrayBuffer {
  if (!Array.isArray(changes)) checkChange(changes as never)
  const packer = new RecordPacker()
  for (const change of changes) {
    checkChange(change)
    if (change.kind === 'set') {
      const { record } = change
      packer.set(record.db, record.key, encodeValue(record), record.expireAt)
    } else {
      packer.change(change)
    }
  }
  return packer.finish()
}

function packRecords(records: readonly KeyRecord[]): ArrayBuffer {
  const packer = new RecordPacker()
  for (const record of records) {
    checkRecord(record)
    packer.set(record.db, record.key, encodeValue(record), record.expireAt)
  }
  return packer.finish()
}

/** Unpacks stored records; bytes that do not decode mean the store is damaged. */
function unpackRecords(batch: ArrayBuffer, where: string): KeyRecord[] {
  const out: KeyRecord[] = []
  for (const record of unpackedRecords(batch, where)) out.push(record)
  return out
}

function* unpackedRecords(batch: ArrayBuffer, where: string): Generator<KeyRecord> {
  for (const entry of readPacked(batch)) {
    if (entry.kind !== 'set') continue
    let value
    try {
      value = readRdbValue(entry.value)
    } catch (error) {
      throw new StorageCorruptError(`A stored value in ${where} does not decode: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error })
    }
    yield { db: entry.db, key: entry.key, value, expireAt: entry.expireAt }
  }
}

/** Records unpacked and handed to `load`'s callback per main-thread task, at most. */
const LOAD_SLICE_RECORDS = 500

/**
 * Streams the current generation from the worker into `onRecords`; resolves with the meta it is the
 * state at. Batches are unpacked and handed over in short tasks of their own (task-pump.ts), so a
 * large store loads without holding the main thread.
 */
async function loadFrom(client: WorkerClient, where: string, onRecords: (records: readonly KeyRecord[]) => void): Promise<ReplicationMeta | null> {
  let failure: { error: unknown } | null = null
  const pump = new TaskPump()
  /** Batches received, not yet handed over; the first may be partly handed over. */
  const pending: Generator<KeyRecord>[] = []
  let draining = false
  let onDrained: (() => void) | null = null
  const drain = () => {
    const out: KeyRecord[] = []
    try {
      while (pending.length > 0 && out.length < LOAD_SLICE_RECORDS) {
        const next = pending[0]!.next()
        if (next.done === true) pending.shift()
        else out.push(next.value)
      }
      if (out.length > 0 && failure === null) onRecords(out)
    } catch (error) {
      failure ??= { error }
      pending.length = 0
    }
    if (pending.length > 0) pump.push(drain)
    else {
      draining = false
      onDrained?.()
    }
  }
  let meta: ReplicationMeta | null
  try {
    meta = await client.request({ op: 'load' }, (batch) => {
      if (failure !== null) return
      pending.push(unpackedRecords(batch, where))
      if (!draining) {
        draining = true
        pump.push(drain)
      }
    })
  } catch (error) {
    failure ??= { error }
    pending.length = 0
    throw error
  }
  if (draining) await new Promise<void>((resolve) => (onDrained = resolve))
  if (failure !== null) throw (failure as { error: unknown }).error
  return meta
}

async function getFrom(client: WorkerClient, where: string, db: number, key: ByteString): Promise<KeyRecord | undefined> {
  const batch = await client.request({ op: 'get', db, key })
  return batch === null ? undefined : unpackRecords(batch, where)[0]
}

/** What both ends of a worker store (the owner and a reader) start with. */
function workerEnd(options: Pick<WorkerStorageOptions, 'name' | 'onBackgroundError'>, what: string) {
  return {
    where: `IndexedDB database "${options.name}"`,
    lifecycle: new StorageLifecycle(what),
    onBackgroundError: options.onBackgroundError ?? ((error: Error) => console.warn(error)),
  }
}

export function createWorkerStorage(options: WorkerStorageOptions): WorkerStorage {
  const { name } = options
  if (typeof name !== 'string' || name.length === 0) throw new RangeError(`Invalid worker storage options: name (${JSON.stringify(name)}) must be a non-empty string.`)
  const what = `IndexedDB storage "${name}"`
  const { where, lifecycle, onBackgroundError } = workerEnd(options, what)
  let client: WorkerClient | null = null
  const live = (): WorkerClient => {
    lifecycle.check()
    return client!
  }
  const queue = new CommitQueue<QueueItem>({
    what,
    run: async ([item]) => {
      // Accepted before close(): still sent, as an adapter lands commits called before close.
      if (client === null) throw new Error('unreachable: a commit before open()')
      if (item!.op === 'commit') await client.request({ op: 'commit', batch: item!.batch, meta: item!.meta })
      else await client.request({ op: 'switch', writer: item!.writer, meta: item!.meta })
    },
  })

  function createWriter(id: number): FullSyncWriter {
    return {
      async write(records) {
        const c = client!
        const batch = packRecords(records)
        await c.request({ op: 'write', writer: id, batch })
      },
      commit(meta) {
        return queue.push(() => {
          checkMeta(meta)
          return { op: 'switch', writer: id, meta: copyMeta(meta) }
        }, false)
      },
      async abort() {
        const c = client!
        if (c.terminated) return
        await c.request({ op: 'abort', writer: id }).catch((error: unknown) => {
          if (!c.terminated) throw error
        })
      },
    }
  }

  const storage: WorkerStorage = {
    name,

    async open() {
      lifecycle.beginOpen()
      client = new WorkerClient(options.worker ?? defaultStorageWorker, name, onBackgroundError)
      try {
        const idb: Record<string, unknown> = {}
        for (const option of WORKER_IDB_OPTIONS) if (options[option] !== undefined) idb[option] = options[option]
        const meta = await client.request({ op: 'open', mode: 'owner', name, idb, broadcast: options.broadcast ?? null })
        lifecycle.opened()
        return meta
      } catch (error) {
        lifecycle.close()
        queue.close()
        client.terminate()
        throw error
      }
    },

    async load(onRecords) {
      await loadFrom(live(), where, onRecords)
    },

    async get(db, key) {
      return getFrom(live(), where, db, key)
    },

    async commit(changes, meta) {
      lifecycle.check()
      return queue.push(() => {
        checkMeta(meta)
        return { op: 'commit', batch: packChanges(changes), meta: copyMeta(meta) }
      })
    },

    async beginFullSync() {
      const c = live()
      // A switch queued here must reach the worker before the new generation number is chosen there.
      await queue.barrier()
      lifecycle.check()
      return createWriter(await c.request({ op: 'begin-full-sync' }))
    },

    async estimateBytes() {
      return (await live().request({ op: 'estimate' })) ?? 0
    },

    async close() {
      if (!lifecycle.close() || client === null) return
      const c = client
      await queue.idle()
      queue.close()
      try {
        await c.request({ op: 'close' })
      } finally {
        c.terminate()
      }
    },

    [kSimulateCrash]() {
      lifecycle.close()
      queue.close()
      client?.terminate()
    },
  }
  return storage
}

/** A follower tab's read-only view of a replica's IndexedDB, through its own worker. */
export interface WorkerReader {
  /** The meta of the last durable commit, or null when the store never committed. */
  open(): Promise<ReplicationMeta | null>
  /** Every record of the current generation, in batches; resolves with the meta they are the state at. */
  load(onRecords: (records: readonly KeyRecord[]) => void): Promise<ReplicationMeta | null>
  get(db: number, key: ByteString): Promise<KeyRecord | undefined>
  close(): Promise<void>
}

export function createWorkerReader(options: Pick<WorkerStorageOptions, 'name' | 'worker' | 'loadBatchRecords' | 'onBackgroundError'>): WorkerReader {
  const { name } = options
  const { where, lifecycle, onBackgroundError } = workerEnd(options, `IndexedDB reader "${name}"`)
  let client: WorkerClient | null = null
  const live = (): WorkerClient => {
    lifecycle.check()
    return client!
  }
  return {
    async open() {
      lifecycle.beginOpen()
      client = new WorkerClient(options.worker ?? defaultStorageWorker, name, onBackgroundError)
      try {
        const idb = options.loadBatchRecords === undefined ? {} : { loadBatchRecords: options.loadBatchRecords }
        const meta = await client.request({ op: 'open', mode: 'reader', name, idb, broadcast: null })
        lifecycle.opened()
        return meta
      } catch (error) {
        lifecycle.close()
        client.terminate()
        throw error
      }
    },
    load: (onRecords) => loadFrom(live(), where, onRecords),
    get: async (db, key) => getFrom(live(), where, db, key),
    async close() {
      if (!lifecycle.close() || client === null) return
      const c = client
      try {
        await c.request({ op: 'close' })
      } finally {
        c.terminate()
      }
    },
  }
}
