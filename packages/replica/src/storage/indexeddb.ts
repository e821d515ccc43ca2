// The IndexedDB adapter: a browser replica's durable copy, through `idb` (DESIGN §5).
//
// Layout (one database per replica store, schema version 1):
//   records   key [generation, db, key] → { v: Uint8Array (writeRdbValue), x?: expireAt ms }
//   meta      key 'current'             → { format, generation, replid, offset, selectedDb }
//
// Why these choices:
// - Keys are ByteStrings inside an array key. Every JS string is a valid IndexedDB key, whatever its
//   char codes (0x00 and lone surrogates included), and strings compare by UTF-16 code unit, which for
//   char codes 0..255 is exactly byte order: the same order as Redis's, with no conversion on the way
//   in or out. ArrayBuffer keys would also order bytewise and take one byte per byte on disk instead
//   of two, but cost a copy and a conversion per read and write; they were rejected for that and
//   because Safari supported binary keys last. The contract suite stores all 256 byte values.
// - The meta record holds the current generation and is written in the same transaction as the data
//   it describes: a commit's changes and its offset land together or not at all (DESIGN §5).
// - A full sync writes generation N+1 beside N, in transactions of `fullSyncBatchRecords` with
//   durability 'relaxed' (fast, and nothing refers to N+1 yet), then switches `meta.generation` in
//   one 'strict' transaction. IndexedDB commits transactions of one database in order to one log, so
//   the strict switch is durable only with every relaxed batch before it. Generation N is then
//   deleted in the background by key range, in small transactions so commits are not held up. Any
//   generation other than the current one (a crash mid-sync, a crash mid-delete) is deleted the same
//   way after `open()` and before every full sync.
// - idb's README rule: nothing but the transaction's own requests is awaited inside a transaction.
//   Bulk writes use raw requests (`unwrap`): an idb request is a promise, and when a transaction
//   aborts, thousands of them would reject at once, each an unhandled rejection; the transaction's
//   `done` carries the one error that matters.
//
// Deliberately left out: multi-tab coordination (one leader tab writes; leader-election.ts) and
// moving the work off the main thread (the shell may run this adapter in a dedicated worker).
import { unwrap, wrap, type DBSchema, type IDBPDatabase } from 'idb'
import type { ByteString, KeyRecord } from '@replicast/core'
import { CommitQueue } from './commit-queue.ts'
import { checkMeta, copyMeta, prepareChanges, prepareRecord, toKeyRecord, type PreparedChange, type PreparedRecord } from './input.ts'
import { serialize, StorageLifecycle, WriterLifecycle } from './lifecycle.ts'
import {
  kSimulateCrash,
  StorageError,
  StorageQuotaError,
  type CrashableStorage,
  type FullSyncWriter,
  type ReplicationMeta,
} from './storage.ts'

export interface IndexedDbStorageOptions {
  /** Name of the IndexedDB database that holds this replica's store. */
  readonly name: string
  /**
   * The IndexedDB to use. Unit tests pass a fresh `IDBFactory` from fake-indexeddb (with
   * `fake-indexeddb/auto` loaded, since idb checks values against the global IDB classes).
   * @default globalThis.indexedDB
   */
  readonly idbFactory?: IDBFactory
  /**
   * Durability of each `commit()`'s transaction. 'strict' resolves only once the data is flushed to
   * disk. 'relaxed' keeps every promise about atomicity and crash consistency (a tab or browser crash
   * loses nothing; an OS crash or power loss may lose the last commits, leaving an earlier consistent
   * state at its own offset) and is several times faster per transaction.
   * @default 'strict'
   */
  readonly commitDurability?: 'strict' | 'relaxed'
  /**
   * Records per transaction while a full sync writes the new generation (durability 'relaxed').
   * Larger batches mean fewer transactions; smaller ones less memory held per transaction.
   * @default 5000
   */
  readonly fullSyncBatchRecords?: number
  /**
   * Records per `onRecords` call of `load()` (one getAll of that many per step).
   * @default 2000
   */
  readonly loadBatchRecords?: number
  /**
   * Records deleted per transaction when an old generation is removed in the background; small
   * enough that a commit waiting behind one is not held up for long.
   * @default 5000
   */
  readonly deleteBatchRecords?: number
  /**
   * Receives failures of background work (removing an old generation) and the loss of the connection
   * (another tab deleted or upgraded the database; the user cleared site data). The store stays
   * consistent; leftovers are removed on the next open.
   * @default console.warn
   */
  readonly onBackgroundError?: (error: StorageError) => void
}

export const INDEXEDDB_STORAGE_DEFAULTS = Object.freeze({
  commitDurability: 'strict',
  fullSyncBatchRecords: 5000,
  loadBatchRecords: 2000,
  deleteBatchRecords: 5000,
} as const)

/** The database schema version this adapter creates and reads. */
export const INDEXEDDB_SCHEMA_VERSION = 1
/** Format tag of the meta record, checked on open. */
const META_FORMAT = 1
const META_KEY = 'current'

type RecordKey = [generation: number, db: number, key: ByteString]

/** One stored record. Field names are one letter: IndexedDB stores them with every record. */
interface StoredRecord {
  /** The value, serialized by writeRdbValue (one RDB value: type byte and payload). */
  readonly v: Uint8Array
  /** Absolute expiry in Unix ms; absent when the key does not expire. */
  readonly x?: number
}

interface StoredMeta {
  readonly format: number
  readonly generation: number
  readonly replid: string
  readonly offset: number
  readonly selectedDb: number
}

interface ReplicaDbSchema extends DBSchema {
  records: { key: RecordKey; value: StoredRecord }
  meta: { key: string; value: StoredMeta }
}

type Db = IDBPDatabase<ReplicaDbSchema>

export interface IndexedDbStorage extends CrashableStorage {
  readonly name: string
}

/**
 * @internal What a store's owner learns once each write has landed, in commit order (the browser
 * replica's worker tells its follower tabs with these). `committed` gets the changes as stored, values
 * already serialized, so nothing is encoded twice. Hooks must not throw; they run after the
 * transaction committed, so nothing they do can undo it.
 */
export interface IndexedDbCommitHooks {
  committed?(changes: readonly PreparedChange[], meta: ReplicationMeta): void
  switched?(meta: ReplicationMeta): void
}

function keyRange(): typeof IDBKeyRange {
  const range = (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange
  if (range === undefined) throw new StorageError('IDBKeyRange is not defined; in Node, load fake-indexeddb/auto before using the IndexedDB adapter.')
  return range
}

/** Every record of `generation`: [g] ≤ key < [g + 1] (a shorter array sorts before its extensions). */
const generationRange = (generation: number) => keyRange().bound([generation], [generation + 1], false, true)

function storedRecord(record: PreparedRecord): StoredRecord {
  // A view into a larger buffer would be stored with the whole buffer (structured clone copies it).
  const { bytes } = record
  const v = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
  return record.expireAt === null ? { v } : { v, x: record.expireAt }
}

function putRecords(store: IDBObjectStore, generation: number, records: readonly PreparedRecord[]): void {
  for (const record of records) store.put(storedRecord(record), [generation, record.db, record.key])
}

/** Maps a failure of IndexedDB to a StorageError: QuotaExceededError becomes StorageQuotaError. */
function idbError(error: unknown, doing: string): StorageError {
  if (error instanceof StorageError) return error
  const name = (error as { name?: unknown } | null)?.name
  const detail = error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)
    ? `${String(name)}: ${String((error as { message: unknown }).message)}`
    : String(error)
  if (name === 'QuotaExceededError') {
    return new StorageQuotaError(
      `IndexedDB refused to store more data while ${doing} (${detail}): this site's storage quota is used up. ` +
        'Nothing of this write was stored and the previous state is intact. Free space (clear other data of this site), ' +
        'or ask for persistent storage with navigator.storage.persist(), then reconnect.',
      { limit: 'browser-quota' },
      { cause: error },
    )
  }
  return new StorageError(`IndexedDB failed while ${doing} (${detail}); nothing of it was stored.`, { cause: error })
}

/** Runs a readwrite transaction built by `build` (raw requests only) and waits for it to commit. */
async function writeTransaction(
  db: Db,
  stores: ('records' | 'meta')[],
  durability: 'strict' | 'relaxed',
  doing: string,
  build: (tx: IDBTransaction) => void,
): Promise<void> {
  let tx
  try {
    tx = db.transaction(stores, 'readwrite', { durability })
  } catch (error) {
    throw idbError(error, doing)
  }
  const raw = unwrap(tx) as IDBTransaction
  try {
    build(raw)
    raw.commit?.()
  } catch (error) {
    // A request that throws (a DataCloneError, a quota check done at put time) aborts it all.
    try {
      raw.abort()
    } catch {
      // Already finished: the done promise below tells how.
    }
    await tx.done.catch(() => {})
    throw idbError(error, doing)
  }
  try {
    await tx.done
  } catch (error) {
    throw idbError(error, doing)
  }
}

async function openDatabase(factory: IDBFactory, name: string): Promise<Db> {
  const request = factory.open(name, INDEXEDDB_SCHEMA_VERSION)
  request.addEventListener('upgradeneeded', (event) => {
    if (event.oldVersion < 1) {
      request.result.createObjectStore('records')
      request.result.createObjectStore('meta')
    }
  })
  const db = await (wrap(request) as Promise<IDBPDatabase | undefined>)
  if (db === undefined) throw new StorageError(`IndexedDB did not open database "${name}".`)
  return db as unknown as Db
}

export function createIndexedDbStorage(options: IndexedDbStorageOptions, hooks: IndexedDbCommitHooks = {}): IndexedDbStorage {
  const settings = { ...INDEXEDDB_STORAGE_DEFAULTS, ...options }
  const { name, commitDurability, fullSyncBatchRecords, loadBatchRecords, deleteBatchRecords } = settings
  const bad: string[] = []
  if (typeof name !== 'string' || name.length === 0) bad.push(`name (${JSON.stringify(name)}) must be a non-empty string`)
  for (const option of ['fullSyncBatchRecords', 'loadBatchRecords', 'deleteBatchRecords'] as const) {
    const value = settings[option]
    if (!Number.isSafeInteger(value) || value < 1) bad.push(`${option} (${String(value)}) must be a positive integer`)
  }
  if (commitDurability !== 'strict' && commitDurability !== 'relaxed') bad.push(`commitDurability (${String(commitDurability)}) must be 'strict' or 'relaxed'`)
  if (bad.length > 0) throw new RangeError(`Invalid IndexedDB storage options: ${bad.join('; ')}.`)
  const onBackgroundError = options.onBackgroundError ?? ((error: StorageError) => console.warn(error))

  const what = `IndexedDB storage "${name}"`
  const where = `IndexedDB database "${name}"`
  const lifecycle = new StorageLifecycle(what)
  let connection: Db | null = null
  /** Set when work must stop: after close() has drained, or at once on a crash or a lost connection. */
  let stopped = false
  let generation = 0
  let activeSync: { readonly lifecycle: WriterLifecycle } | null = null
  /** Background removal of other generations; never rejects (failures go to onBackgroundError). */
  let background: Promise<void> = Promise.resolve()
  const queue = new CommitQueue<() => Promise<void>>({ what, run: async ([work]) => work!() })

  /** The open connection, for work already accepted (a queued commit still runs during close()). */
  const live = (): Db => {
    if (stopped || connection === null) throw new StorageError(`${what} lost its connection to ${where}; reopen it.`)
    return connection
  }
  /** The open connection, for a public call: rejects after close(). */
  const database = (): Db => {
    lifecycle.check()
    return live()
  }

  /** Stops everything at once, as a crash or a lost connection does. */
  function shutDown(): void {
    lifecycle.close()
    stopped = true
    queue.close()
    activeSync?.lifecycle.close()
    activeSync = null
    connection?.close()
  }

  /** Deletes every record in `range`, a batch per transaction. Stops quietly once the storage stops. */
  async function deleteRange(range: IDBKeyRange, doing: string): Promise<void> {
    while (!stopped) {
      let tx
      try {
        tx = live().transaction('records', 'readwrite', { durability: 'relaxed' })
      } catch (error) {
        throw idbError(error, doing)
      }
      let count: number
      try {
        const keys = await tx.store.getAllKeys(range, deleteBatchRecords)
        count = keys.length
        if (count > 0) (unwrap(tx.store) as IDBObjectStore).delete(keyRange().bound(keys[0]!, keys[count - 1]!))
        await tx.done
      } catch (error) {
        tx.done.catch(() => {})
        throw idbError(error, doing)
      }
      if (count < deleteBatchRecords) return
    }
  }

  /** Removes every generation but `keep`. */
  async function dropOtherGenerations(keep: number): Promise<void> {
    const range = keyRange()
    await deleteRange(range.upperBound([keep], true), 'removing an old generation')
    await deleteRange(range.lowerBound([keep + 1]), 'removing an unfinished full sync')
  }

  function dropInBackground(keep: number): void {
    background = background
      .then(() => dropOtherGenerations(keep))
      .catch((error: unknown) => {
        if (!stopped) onBackgroundError(idbError(error, 'removing an old generation'))
      })
  }

  function createWriter(newGeneration: number): FullSyncWriter {
    const sync = { lifecycle: new WriterLifecycle(what) }
    activeSync = sync
    let buffer: PreparedRecord[] = []
    /** The bulk transaction in flight: resolves to its error, or null. */
    let inflight: Promise<StorageError | null> | null = null

    const settleInflight = async (): Promise<void> => {
      if (inflight === null) return
      const error = await inflight
      inflight = null
      if (error !== null) throw sync.lifecycle.fail(error)
      sync.lifecycle.check()
    }
    const release = () => {
      if (activeSync === sync) activeSync = null
    }

    const write = serialize(async (records: readonly KeyRecord[]) => {
      sync.lifecycle.check()
      const prepared = records.map(prepareRecord)
      for (const record of prepared) buffer.push(record)
      while (buffer.length >= fullSyncBatchRecords) {
        await settleInflight()
        const batch = buffer.splice(0, fullSyncBatchRecords)
        inflight = writeTransaction(live(), ['records'], 'relaxed', 'writing a full sync', (tx) =>
          putRecords(tx.objectStore('records'), newGeneration, batch),
        ).then(
          () => null,
          (error: unknown) => idbError(error, 'writing a full sync'),
        )
      }
    })

    return {
      write,

      commit(meta) {
        // Queued at once, even when it is bound to fail: commits called after it carry the stream
        // that follows this snapshot and must never land on the old generation (commit-queue.ts).
        return queue.push(
          () => {
            sync.lifecycle.check()
            checkMeta(meta)
            const stored: StoredMeta = { format: META_FORMAT, generation: newGeneration, ...copyMeta(meta) }
            return async () => {
              await write.idle()
              await settleInflight()
              sync.lifecycle.check()
              const rest = buffer
              buffer = []
              try {
                await writeTransaction(live(), ['records', 'meta'], 'strict', 'switching to the new generation', (tx) => {
                  putRecords(tx.objectStore('records'), newGeneration, rest)
                  tx.objectStore('meta').put(stored, META_KEY)
                })
              } catch (error) {
                throw sync.lifecycle.fail(error as Error)
              }
              generation = newGeneration
              sync.lifecycle.end('committed')
              release()
              dropInBackground(newGeneration)
              hooks.switched?.(stored)
            }
          },
          false,
        )
      },

      async abort() {
        if (!sync.lifecycle.pending) return
        sync.lifecycle.end('aborted')
        release()
        buffer = []
        await write.idle()
        if (inflight !== null) await inflight
        inflight = null
        if (!lifecycle.closed) await deleteRange(generationRange(newGeneration), 'aborting a full sync')
      },
    }
  }

  const storage: IndexedDbStorage = {
    name,

    async open() {
      lifecycle.beginOpen()
      try {
        const factory = options.idbFactory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
        if (factory === undefined) {
          throw new StorageError('IndexedDB is not available in this environment; pass the idbFactory option.')
        }
        const db = (connection = await openDatabase(factory, name))
        db.addEventListener('versionchange', () => {
          // Another connection wants to delete or upgrade the database: let it, and stop.
          shutDown()
          onBackgroundError(new StorageError(`${where} is being deleted or upgraded by another connection; ${what} was closed.`))
        })
        db.addEventListener('close', () => {
          if (stopped) return
          shutDown()
          onBackgroundError(new StorageError(`The browser closed ${where} (site data cleared, or storage failed); ${what} was closed.`))
        })
        const meta = await db.get('meta', META_KEY)
        if (meta !== undefined && meta.format !== META_FORMAT) {
          throw new StorageError(`${where} holds meta format ${String(meta.format)}; this version reads format ${META_FORMAT}.`)
        }
        generation = meta?.generation ?? 0
        lifecycle.opened()
        dropInBackground(generation)
        return meta === undefined ? null : { replid: meta.replid, offset: meta.offset, selectedDb: meta.selectedDb }
      } catch (error) {
        shutDown()
        throw idbError(error, `opening ${where}`)
      }
    },

    async load(onRecords) {
      // A readonly transaction per batch, not one for the whole load: Chromium runs a readwrite
      // transaction (the background removal of an old generation) only after every readonly one
      // created before it, and every later transaction, a read of one key above all, after that. One
      // transaction of a million records would hold those reads for the whole load. Nothing writes
      // the current generation meanwhile (the shell does not commit while it loads).
      const db = database()
      const end = [generation + 1]
      let range = generationRange(generation)
      for (;;) {
        let keys: RecordKey[]
        let values: StoredRecord[]
        let done: Promise<void> | null = null
        try {
          const tx = db.transaction('records', 'readonly')
          done = tx.done
          ;[keys, values] = await Promise.all([tx.store.getAllKeys(range, loadBatchRecords), tx.store.getAll(range, loadBatchRecords)])
        } catch (error) {
          throw idbError(error, `loading ${where}`)
        } finally {
          done?.catch(() => {})
        }
        if (keys.length === 0) break
        const records: KeyRecord[] = new Array(keys.length)
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!
          const value = values[i]!
          records[i] = toKeyRecord(key[1], key[2], value.v, value.x ?? null, where)
        }
        // The caller's own failure goes back to it as it is.
        onRecords(records)
        if (keys.length < loadBatchRecords) break
        range = keyRange().bound(keys[keys.length - 1]!, end, true, true)
      }
    },

    async get(db, key) {
      const value = await database()
        .get('records', [generation, db, key])
        .catch((error: unknown) => {
          throw idbError(error, `reading ${where}`)
        })
      return value === undefined ? undefined : toKeyRecord(db, key, value.v, value.x ?? null, where)
    },

    async commit(changes, meta) {
      lifecycle.check()
      return queue.push(() => {
        checkMeta(meta)
        const prepared = prepareChanges(changes)
        const stored = copyMeta(meta)
        return async () => {
          await writeCommit(prepared, stored)
          hooks.committed?.(prepared, stored)
        }
      })
    },

    async beginFullSync() {
      lifecycle.check()
      activeSync?.lifecycle.end('superseded')
      activeSync = null
      // A switch already queued must land (or fail) before the new generation number is chosen, and
      // removal of other generations must be over before anything is written to generation + 1.
      await queue.barrier()
      await background
      await dropOtherGenerations(generation)
      lifecycle.check()
      return createWriter(generation + 1)
    },

    async close() {
      if (!lifecycle.close()) return
      // Commits (and a full sync's commit) already called still land; then an unfinished full sync
      // is dropped (its records go on the next open) and background work stops at its next batch.
      await queue.idle()
      activeSync?.lifecycle.close()
      activeSync = null
      stopped = true
      await background
      shutDown()
    },

    [kSimulateCrash]() {
      shutDown()
    },
  }

  async function writeCommit(prepared: readonly PreparedChange[], meta: ReplicationMeta): Promise<void> {
    const g = generation
    const range = keyRange()
    await writeTransaction(live(), ['records', 'meta'], commitDurability, `committing to ${where}`, (tx) => {
      const records = tx.objectStore('records')
      for (const change of prepared) {
        switch (change.kind) {
          case 'set':
            records.put(storedRecord(change), [g, change.db, change.key])
            break
          case 'delete':
            records.delete([g, change.db, change.key])
            break
          case 'flush-db':
            records.delete(range.bound([g, change.db], [g, change.db + 1], false, true))
            break
          case 'flush-all':
            records.delete(generationRange(g))
            break
        }
      }
      tx.objectStore('meta').put({ format: META_FORMAT, generation: g, ...meta } satisfies StoredMeta, META_KEY)
    })
  }

  const estimate = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<{ usage?: number }> } } }).navigator?.storage
  if (typeof estimate?.estimate === 'function') {
    /** The origin's usage as the browser reports it (all of this site's storage, padded by the browser). */
    storage.estimateBytes = async () => {
      lifecycle.check()
      return (await estimate.estimate!()).usage ?? 0
    }
  }
  return storage
}
