// A follower tab's read-only view of a replica's IndexedDB store (createIdbReader), for the tab's
// replica worker (replica-worker.ts): loads are one consistent snapshot (one readonly transaction),
// never disturbed by the leader's commits, and nothing is ever written or cleaned up. Values are
// decoded here, where the data is used.
//
// Why not the adapter itself: its open() removes every generation but the current one, which in a
// follower tab would delete the generation the leader is writing during a full sync. The reads are
// the adapter's own (storage/idb-read.ts), so the two cannot disagree on the layout; the storage
// contract suite runs against the worker storage, whose loads and gets come from there too.
import { readRdbValue, type ByteString, type KeyRecord } from '@replicast/core'
import { openReplicaDatabase, PAGES_PER_READ, readGeneration, readKey, readMeta, toReplicationMeta } from '../storage/idb-read.ts'
import type { LogOverlay, StoredEntry } from '../storage/idb-pages.ts'
import { StorageClosedError, StorageCorruptError, StorageError } from '../storage/storage.ts'
import type { WorkerReader } from './worker-storage.ts'

/** Records per batch handed to `load`'s callback. */
const LOAD_BATCH_DEFAULT = 2000

function decodeStored(dbIndex: number, key: ByteString, stored: StoredEntry, name: string): KeyRecord {
  try {
    return { db: dbIndex, key, value: readRdbValue(stored.value), expireAt: stored.expireAt }
  } catch (error) {
    throw new StorageCorruptError(`A stored value in IndexedDB database "${name}" does not decode: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error })
  }
}

export function createIdbReader(options: { readonly name: string; readonly loadBatchRecords?: number; readonly factory?: IDBFactory }): WorkerReader {
  const { name } = options
  const batchRecords = options.loadBatchRecords ?? LOAD_BATCH_DEFAULT
  let database: IDBDatabase | null = null
  let closed = false
  /** The log as last read, reused by the next get while the log has not moved. */
  let overlay: LogOverlay | null = null
  /** False until open() is called: reads before it are a caller's mistake, not a lost connection. */
  let started = false
  let connecting: Promise<IDBDatabase> | null = null
  // The connection is given up when another one deletes or upgrades the database, or when the
  // browser closes it (site data cleared): the reader then opens a new one at its next read, so a
  // follower tab never blocks another tab's upgrade and keeps reading after it (the leader
  // recovers the store, then tells the followers: tab-protocol.ts). If the database now has a newer
  // schema, that open fails with its own StorageError.
  const connect = async (): Promise<IDBDatabase> => {
    const factory = options.factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
    if (factory === undefined) throw new StorageError('IndexedDB is not available here.')
    const db = await openReplicaDatabase(factory, name)
    if (closed) {
      db.close()
      throw new StorageClosedError(`IndexedDB reader "${name}"`)
    }
    const lost = (): void => {
      db.close()
      if (database === db) {
        database = null
        overlay = null
      }
    }
    db.onversionchange = lost
    db.onclose = lost
    database = db
    return db
  }
  const opened = async (): Promise<IDBDatabase> => {
    if (closed) throw new StorageClosedError(`IndexedDB reader "${name}"`)
    if (!started) throw new StorageError(`IndexedDB reader "${name}" is not open yet; await open() before using it.`)
    if (database !== null) return database
    // Reads that find the connection lost at the same time share one new connection.
    connecting ??= connect().finally(() => {
      connecting = null
    })
    return connecting
  }
  return {
    async open() {
      started = true
      const db = await connect()
      return toReplicationMeta(await readMeta(db, name))
    },
    async load(onRecords) {
      const meta = await readGeneration(await opened(), name, { consistent: true, batchRecords, pagesPerRead: PAGES_PER_READ }, (entries) => {
        onRecords(entries.map((entry) => decodeStored(entry.db, entry.key, entry, name)))
      })
      return toReplicationMeta(meta)
    },
    async get(dbIndex, key) {
      const found = await readKey(await opened(), name, dbIndex, key, overlay)
      overlay = found.overlay
      return found.entry === undefined ? undefined : decodeStored(dbIndex, key, found.entry, name)
    },
    async close() {
      closed = true
      database?.close()
      database = null
    },
  }
}
