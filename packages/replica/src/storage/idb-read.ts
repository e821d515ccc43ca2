// The IndexedDB schema of a replica store and the reads of it that the adapter (indexeddb.ts), the
// storage worker and a follower tab's reader (browser/idb-reader.ts) share: the meta, a whole
// generation (a load) and one key (a read before the load). The layout is idb-pages.ts's.
//
//   meta   'current'                       → StoredMeta
//   pages  [generation, db, bucket, seq]   → packed page
//   log    [generation, seq]               → packed commit
//
// Raw IndexedDB rather than idb's wrapper: a load reads thousands of pages, and an idb request is a
// promise that rejects unhandled for every request of a transaction that aborts. None of these
// reads writes or cleans up anything, so a follower tab can use them while the leader writes.
import type { ByteString } from '@replicast/core'
import { bucketOf, findInPages, LogOverlay, resolvePages, type StoredEntry } from './idb-pages.ts'
import { StorageError, type ReplicationMeta } from './storage.ts'

/** The database schema version the adapter creates and reads. */
export const INDEXEDDB_SCHEMA_VERSION = 2
/** Format tag of the meta record, checked on open. */
export const META_FORMAT = 2
export const META_KEY = 'current'
/** Pages per getAll while loading: enough to amortize a request, few enough to stream. */
export const PAGES_PER_READ = 32

export interface StoredMeta {
  readonly format: number
  readonly generation: number
  readonly replid: string
  readonly offset: number
  readonly selectedDb: number
  /** The next sequence number for a page or a log entry of this generation. */
  readonly seq: number
  /** Buckets per db in this generation (idb-pages.ts `bucketOf`). */
  readonly buckets: number
}

export type PageKey = [generation: number, db: number, bucket: number, seq: number]

/** A stored key with its db, as a load delivers it (the value still RDB-encoded). */
export interface LoadedEntry extends StoredEntry {
  readonly db: number
  readonly key: ByteString
}

export function keyRange(): typeof IDBKeyRange {
  const range = (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange
  if (range === undefined) throw new StorageError('IDBKeyRange is not defined; in Node, load fake-indexeddb/auto before using the IndexedDB adapter.')
  return range
}

/** Every page or log entry of `generation`: [g] ≤ key < [g + 1] (a shorter array sorts before its extensions). */
export const generationRange = (generation: number): IDBKeyRange => keyRange().bound([generation], [generation + 1], false, true)

/** Every page of one db of a generation. */
export const dbRange = (generation: number, db: number): IDBKeyRange => keyRange().bound([generation, db], [generation, db + 1], false, true)

/** Every page of one bucket. */
export const bucketRange = (generation: number, db: number, bucket: number): IDBKeyRange =>
  keyRange().bound([generation, db, bucket], [generation, db, bucket + 1], false, true)

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

export const toReplicationMeta = (meta: StoredMeta | undefined): ReplicationMeta | null =>
  meta === undefined ? null : { replid: meta.replid, offset: meta.offset, selectedDb: meta.selectedDb }

/**
 * Opens (and creates or upgrades) the database of a replica store. Schema 1 kept one record per key;
 * its data is not converted: the store opens empty and the replica full-syncs once. The connection
 * closes itself when another one deletes or upgrades the database. A database a newer schema took
 * over is a StorageError that says so.
 */
export async function openReplicaDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  try {
    return await openAtOurVersion(factory, name)
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name !== 'VersionError') throw error
    throw new StorageError(
      `IndexedDB database "${name}" has a newer schema version than this code's (${INDEXEDDB_SCHEMA_VERSION}): a newer version ` +
        'of the app upgraded it, and this code cannot read it. Load the newer version (reload the page).',
      { cause: error },
    )
  }
}

async function openAtOurVersion(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  const req = factory.open(name, INDEXEDDB_SCHEMA_VERSION)
  req.onupgradeneeded = (event) => {
    const db = req.result
    if (event.oldVersion < 2) {
      for (const store of Array.from(db.objectStoreNames)) db.deleteObjectStore(store)
      db.createObjectStore('meta')
      db.createObjectStore('pages')
      db.createObjectStore('log')
    }
  }
  const db = await request(req)
  db.onversionchange = () => db.close()
  return db
}

function checkFormat(meta: StoredMeta | undefined, name: string): StoredMeta | undefined {
  if (meta !== undefined && meta.format !== META_FORMAT) {
    throw new StorageError(`IndexedDB database "${name}" holds meta format ${String(meta.format)}; this version reads format ${META_FORMAT}.`)
  }
  return meta
}

async function metaIn(tx: IDBTransaction, name: string): Promise<StoredMeta | undefined> {
  return checkFormat(await request(tx.objectStore('meta').get(META_KEY) as IDBRequest<StoredMeta | undefined>), name)
}

export async function readMeta(db: IDBDatabase, name: string): Promise<StoredMeta | undefined> {
  return metaIn(db.transaction('meta', 'readonly'), name)
}

/** The log of the meta's generation, applied (one getAll: compaction keeps the log small). */
export async function readOverlay(tx: IDBTransaction, meta: StoredMeta): Promise<LogOverlay> {
  const entries = (await request(tx.objectStore('log').getAll(generationRange(meta.generation)))) as ArrayBuffer[]
  const overlay = new LogOverlay(meta.generation, meta.seq)
  for (const entry of entries) overlay.add(entry)
  return overlay
}

export interface ReadGenerationOptions {
  /**
   * Read everything in ONE readonly transaction, a snapshot however the leader commits meanwhile
   * (a follower's load). Otherwise each batch of pages has a transaction of its own (the leader's
   * own load: nothing else writes the current generation then, and its reads of single keys get
   * their turn between batches instead of queueing behind a load of the whole store).
   */
  readonly consistent: boolean
  /** Entries per `onEntries` call, at most. */
  readonly batchRecords: number
  /** Pages per getAll. */
  readonly pagesPerRead: number
}

/**
 * Reads every key of the current generation, calling `onEntries` with batches of them (synchronously,
 * between requests), and returns the meta they are the state at (undefined: nothing stored yet).
 */
export async function readGeneration(
  db: IDBDatabase,
  name: string,
  options: ReadGenerationOptions,
  onEntries: (entries: readonly LoadedEntry[]) => void,
): Promise<StoredMeta | undefined> {
  const { consistent, batchRecords, pagesPerRead } = options
  let tx = db.transaction(['meta', 'log', 'pages'], 'readonly')
  const meta = await metaIn(tx, name)
  if (meta === undefined) return undefined
  const overlay = await readOverlay(tx, meta)
  const g = meta.generation

  let out: LoadedEntry[] = []
  const emit = (entry: LoadedEntry) => {
    out.push(entry)
    if (out.length >= batchRecords) {
      const batch = out
      out = []
      onEntries(batch)
    }
  }
  let bucketDb = -1
  let bucket = -1
  let pages: ArrayBuffer[] = []
  const finishBucket = () => {
    if (pages.length === 0) return
    for (const [key, entry] of resolvePages(pages)) {
      if (overlay.lookup(bucketDb, key) === undefined) emit({ db: bucketDb, key, value: entry.value, expireAt: entry.expireAt })
    }
    pages = []
  }

  const end: IDBValidKey = [g + 1]
  let range = generationRange(g)
  for (let first = true; ; first = false) {
    if (!consistent && !first) tx = db.transaction('pages', 'readonly')
    const store = tx.objectStore('pages')
    const [keys, values] = await Promise.all([
      request(store.getAllKeys(range, pagesPerRead)) as Promise<PageKey[]>,
      request(store.getAll(range, pagesPerRead)) as Promise<ArrayBuffer[]>,
    ])
    for (let i = 0; i < keys.length; i++) {
      const [, pageDb, pageBucket] = keys[i]!
      if (pageDb !== bucketDb || pageBucket !== bucket) {
        finishBucket()
        bucketDb = pageDb
        bucket = pageBucket
      }
      if (!overlay.pagesDead(pageDb)) pages.push(values[i]!)
    }
    if (keys.length < pagesPerRead) break
    range = keyRange().bound(keys[keys.length - 1]!, end, true, true)
  }
  finishBucket()
  for (const { db: keyDb, key, entry } of overlay.sets()) emit({ db: keyDb, key, value: entry.value, expireAt: entry.expireAt })
  if (out.length > 0) onEntries(out)
  return meta
}

/**
 * One key of the current generation (undefined when absent), with the meta it is the state at, read
 * in one transaction. `cached` saves reading the log when it still describes it (same generation
 * and seq as the stored meta); the overlay used is returned for the next call.
 */
export async function readKey(
  db: IDBDatabase,
  name: string,
  dbIndex: number,
  key: ByteString,
  cached: LogOverlay | null,
): Promise<{ meta: StoredMeta | undefined; entry: StoredEntry | undefined; overlay: LogOverlay | null }> {
  const tx = db.transaction(['meta', 'log', 'pages'], 'readonly')
  const meta = await metaIn(tx, name)
  if (meta === undefined) return { meta, entry: undefined, overlay: null }
  const overlay = cached !== null && cached.generation === meta.generation && cached.seq === meta.seq ? cached : await readOverlay(tx, meta)
  let state = overlay.lookup(dbIndex, key)
  if (state === undefined) {
    const range = bucketRange(meta.generation, dbIndex, bucketOf(key, meta.buckets))
    state = findInPages((await request(tx.objectStore('pages').getAll(range))) as ArrayBuffer[], key)
  }
  return { meta, entry: state ?? undefined, overlay }
}
