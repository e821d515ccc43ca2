// Reads of the IndexedDB adapter's committed state (storage/indexeddb.ts, schema version 1) that
// neither decode values nor change anything:
//
//   readSnapshot   the meta and every record of its generation, in ONE readonly transaction: a
//                  consistent image at the meta's offset, however the leader commits meanwhile
//   readRecord     one record of the current generation, with the meta, in one transaction
//   createIdbReader  a follower's read-only view (open, load, get) built on those two, for the tab's
//                  replica worker (replica-worker.ts): values decoded where the data is used
//
// Why not the adapter itself: its open() removes every generation but the current one, which in a
// follower tab would delete the generation the leader is writing during a full sync; and its load()
// decodes every value, which the storage worker would then re-encode to send it to the main thread.
// Here values stay in their stored form (RDB value bytes) all the way to the thread that needs them.
//
// The layout (object stores `records` [generation, db, key] → {v, x?} and `meta` 'current' →
// {format, generation, replid, offset, selectedDb}) is the adapter's; this file must follow it. The
// storage contract suite runs against the worker storage, whose loads and gets come from here.
import { readRdbValue, type ByteString, type KeyRecord } from '@replicast/core'
import { INDEXEDDB_SCHEMA_VERSION } from '../storage/indexeddb.ts'
import { StorageClosedError, StorageCorruptError, StorageError, type ReplicationMeta } from '../storage/storage.ts'
import type { WorkerReader } from './worker-storage.ts'

export interface StoredMeta {
  readonly format: number
  readonly generation: number
  readonly replid: string
  readonly offset: number
  readonly selectedDb: number
}

export interface StoredRecord {
  readonly v: Uint8Array
  readonly x?: number
}

export type RecordKey = [generation: number, db: number, key: string]

const META_FORMAT = 1
const META_KEY = 'current'

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

function checkFormat(meta: StoredMeta | undefined, name: string): StoredMeta | undefined {
  if (meta !== undefined && meta.format !== META_FORMAT) {
    throw new StorageError(`IndexedDB database "${name}" holds meta format ${String(meta.format)}; this version reads format ${META_FORMAT}.`)
  }
  return meta
}

/**
 * Opens (and, when new, creates exactly as the adapter does) the database of a replica store. Closes
 * itself when another connection deletes or upgrades the database.
 */
export async function openReplicaDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  const req = factory.open(name, INDEXEDDB_SCHEMA_VERSION)
  req.onupgradeneeded = (event) => {
    if (event.oldVersion < 1) {
      req.result.createObjectStore('records')
      req.result.createObjectStore('meta')
    }
  }
  const db = await request(req)
  db.onversionchange = () => db.close()
  return db
}

/**
 * Reads every record of the current generation in batches of `batchRecords`, calling `onBatch` with
 * each (synchronously, between requests), and returns the meta they are the state at.
 *
 * `consistent`: read everything in ONE readonly transaction, a snapshot however the leader commits
 * meanwhile (a follower's load). Otherwise each batch has a transaction of its own (the leader's own
 * load: nothing else writes the current generation then, and other transactions, its reads above
 * all, get their turn between batches instead of queueing behind a load of a million records; in
 * Chromium a readwrite transaction waiting on the load, the adapter's removal of an old generation,
 * holds every later read behind it).
 */
export async function readSnapshot(
  db: IDBDatabase,
  name: string,
  batchRecords: number,
  consistent: boolean,
  onBatch: (keys: readonly RecordKey[], values: readonly StoredRecord[]) => void,
): Promise<StoredMeta | undefined> {
  let tx = db.transaction(['meta', 'records'], 'readonly')
  const meta = checkFormat(await request(tx.objectStore('meta').get(META_KEY) as IDBRequest<StoredMeta | undefined>), name)
  if (meta === undefined) return undefined
  const generation = meta.generation
  const end: IDBValidKey = [generation + 1]
  let range = IDBKeyRange.bound([generation], end, false, true)
  for (;;) {
    if (!consistent) tx = db.transaction('records', 'readonly')
    const records = tx.objectStore('records')
    const [keys, values] = await Promise.all([
      request(records.getAllKeys(range, batchRecords)) as Promise<RecordKey[]>,
      request(records.getAll(range, batchRecords)) as Promise<StoredRecord[]>,
    ])
    if (keys.length === 0) break
    onBatch(keys, values)
    if (keys.length < batchRecords) break
    range = IDBKeyRange.bound(keys[keys.length - 1]!, end, true, true)
  }
  return meta
}

/** The meta and one record of the current generation (undefined when absent), read together. */
export async function readRecord(db: IDBDatabase, name: string, dbIndex: number, key: string): Promise<{ meta: StoredMeta | undefined; record: StoredRecord | undefined }> {
  const tx = db.transaction(['meta', 'records'], 'readonly')
  const meta = checkFormat(await request(tx.objectStore('meta').get(META_KEY) as IDBRequest<StoredMeta | undefined>), name)
  if (meta === undefined) return { meta, record: undefined }
  const record = (await request(tx.objectStore('records').get([meta.generation, dbIndex, key]))) as StoredRecord | undefined
  return { meta, record }
}

/** The stored meta alone. */
export async function readMeta(db: IDBDatabase, name: string): Promise<StoredMeta | undefined> {
  const tx = db.transaction('meta', 'readonly')
  return checkFormat(await request(tx.objectStore('meta').get(META_KEY) as IDBRequest<StoredMeta | undefined>), name)
}

const toMeta = (meta: StoredMeta | undefined): ReplicationMeta | null =>
  meta === undefined ? null : { replid: meta.replid, offset: meta.offset, selectedDb: meta.selectedDb }

function decodeStored(dbIndex: number, key: ByteString, stored: StoredRecord, name: string): KeyRecord {
  try {
    return { db: dbIndex, key, value: readRdbValue(stored.v), expireAt: stored.x ?? null }
  } catch (error) {
    throw new StorageCorruptError(`A stored value in IndexedDB database "${name}" does not decode: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error })
  }
}

/**
 * A read-only view of a replica's store for the thread that uses the data (a follower tab's replica
 * worker): loads are one consistent snapshot (one readonly transaction), never disturbed by the
 * leader's commits, and nothing is ever written or cleaned up.
 */
export function createIdbReader(options: { readonly name: string; readonly loadBatchRecords?: number; readonly factory?: IDBFactory }): WorkerReader {
  const { name } = options
  const batchRecords = options.loadBatchRecords ?? 2000
  let database: IDBDatabase | null = null
  let closed = false
  const opened = (): IDBDatabase => {
    if (closed) throw new StorageClosedError(`IndexedDB reader "${name}"`)
    if (database === null) throw new StorageError(`IndexedDB reader "${name}" is not open yet; await open() before using it.`)
    return database
  }
  return {
    async open() {
      const factory = options.factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
      if (factory === undefined) throw new StorageError('IndexedDB is not available here.')
      const db = await openReplicaDatabase(factory, name)
      if (closed) {
        db.close()
        throw new StorageClosedError(`IndexedDB reader "${name}"`)
      }
      database = db
      return toMeta(await readMeta(db, name))
    },
    async load(onRecords) {
      const meta = await readSnapshot(opened(), name, batchRecords, true, (keys, values) => {
        const records: KeyRecord[] = new Array(keys.length)
        for (let i = 0; i < keys.length; i++) records[i] = decodeStored(keys[i]![1], keys[i]![2], values[i]!, name)
        onRecords(records)
      })
      return toMeta(meta)
    },
    async get(dbIndex, key) {
      const { record } = await readRecord(opened(), name, dbIndex, key)
      return record === undefined ? undefined : decodeStored(dbIndex, key, record, name)
    },
    async close() {
      closed = true
      database?.close()
      database = null
    },
  }
}
