// The IndexedDB adapter: a browser replica's durable copy, through `idb` (DESIGN §5).
//
// Layout (one database per replica store, schema version 2; idb-read.ts holds the schema and
// idb-pages.ts the packed format): a generation is pages, keys hashed into buckets, plus a commit
// log; `meta` names the current generation and the replication meta it is the state at.
//
// Why these choices:
// - Packed records, not one IndexedDB record per key: Chromium spends ~35 µs per put whatever its
//   size, so a put per key capped a full sync at ~25,000 keys/s and a commit of 1,000 writes at
//   1,000 puts (idb-pages.ts). A commit here is ONE put to the log plus the meta, in one transaction:
//   its changes and its offset land together or not at all (DESIGN §5).
// - Compaction: once the log holds `compactLogBytes`, one transaction ('relaxed': losing it to a
//   power cut leaves the log, which says the same) writes at most one page per bucket the log
//   touched, deletes the log and moves `meta.seq` on. A bucket with `bucketPagesLimit` pages is
//   merged into one in the same transaction (a few buckets per compaction: idb-pages.ts
//   chooseMerges), so a point read and a load read few pages and overwritten values do not pile up.
//   It runs after a commit resolves, before the next one starts.
// - A full sync writes generation N+1 beside N: records are sorted into buckets and written as pages
//   whenever `fullSyncBatchBytes` are held, in transactions with durability 'relaxed' (fast, and
//   nothing refers to N+1 yet), then `meta.generation` is switched in one 'strict' transaction.
//   IndexedDB commits transactions of one database in order to one log, so the strict switch is
//   durable only with every relaxed batch before it. Generation N is then deleted in the background,
//   in small transactions so commits are not held up; so is any generation other than the current
//   one (a crash mid-sync, a crash mid-delete) after `open()` and before every full sync.
// - Keys are ByteStrings inside packed pages (record-codec.ts): binary-safe, one byte per byte.
// - idb's README rule: nothing but the transaction's own requests is awaited inside a transaction.
//   Bulk writes use raw requests (`unwrap`): an idb request is a promise, and when a transaction
//   aborts, thousands of them would reject at once, each an unhandled rejection; the transaction's
//   `done` carries the one error that matters.
//
// Deliberately left out: multi-tab coordination (one leader tab writes; leader-election.ts) and
// moving the work off the main thread (the shell runs this adapter in a dedicated worker).
import { unwrap, wrap, type IDBPDatabase } from 'idb'
import type { KeyRecord } from '@replicast/core'
import {
  bucketRange,
  dbRange,
  INDEXEDDB_SCHEMA_VERSION,
  generationRange,
  keyRange,
  META_FORMAT,
  META_KEY,
  openReplicaDatabase,
  PAGES_PER_READ,
  readGeneration,
  readKey,
  readOverlay,
  request,
  type PageKey,
  type StoredMeta,
} from './idb-read.ts'
import { chooseMerges, LogOverlay, packPage, PageBuffers, resolvePages, type PageWrite } from './idb-pages.ts'
import { CommitQueue } from './commit-queue.ts'
import { checkMeta, copyMeta, prepareChanges, prepareRecord, toKeyRecord } from './input.ts'
import { serialize, StorageLifecycle, WriterLifecycle } from './lifecycle.ts'
import { RecordPacker } from './record-codec.ts'
import {
  kSimulateCrash,
  StorageError,
  StorageQuotaError,
  type CrashableStorage,
  type FullSyncWriter,
  type ReplicationMeta,
} from './storage.ts'

export { INDEXEDDB_SCHEMA_VERSION } from './idb-read.ts'

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
   * Bytes of records a full sync holds, sorted into buckets, before it writes them as pages in one
   * transaction (durability 'relaxed'). Larger means fewer, larger pages; smaller, less memory.
   * @default 16 MiB
   */
  readonly fullSyncBatchBytes?: number
  /**
   * Buckets per db of a new generation (a key's bucket is a hash of it). A point read before the
   * load reads one bucket, about keys/buckets records. Takes effect at the next full sync.
   * @default 256
   */
  readonly pageBuckets?: number
  /** Bytes of commit log that trigger a compaction into pages. @default 4 MiB */
  readonly compactLogBytes?: number
  /**
   * Pages a bucket has when a compaction merges them into one. Merges are spread over compactions,
   * so a bucket may exceed it, up to twice. Higher means fewer rewrites under heavy overwrites and
   * more pages for a read and a load.
   * @default 32
   */
  readonly bucketPagesLimit?: number
  /**
   * Records per `onRecords` call of `load()`.
   * @default 2000
   */
  readonly loadBatchRecords?: number
  /**
   * Pages (or log entries) deleted per transaction when an old generation is removed in the
   * background; small enough that a commit waiting behind one is not held up for long.
   * @default 64
   */
  readonly deleteBatchPages?: number
  /**
   * Receives failures of background work (removing an old generation, compacting the log) and the
   * loss of the connection (another tab deleted or upgraded the database; the user cleared site
   * data). The store stays consistent; leftovers are removed on the next open.
   * @default console.warn
   */
  readonly onBackgroundError?: (error: StorageError) => void
  /**
   * Receives, once, the loss of the connection (another connection deletes or upgrades the database;
   * the browser closes it because site data was cleared or storage failed) instead of
   * `onBackgroundError`. The store has stopped for good: every call rejects from then on, and what was
   * committed before is intact. Its owner opens a new storage of the same name to go on (it then
   * resumes from the durable point, or opens empty if the database was deleted); opening fails with
   * a StorageError if a newer schema version took over the database.
   * @default onBackgroundError
   */
  readonly onConnectionLost?: (error: StorageError) => void
}

export const INDEXEDDB_STORAGE_DEFAULTS = Object.freeze({
  commitDurability: 'strict',
  fullSyncBatchBytes: 16 * 1024 * 1024,
  pageBuckets: 256,
  compactLogBytes: 4 * 1024 * 1024,
  bucketPagesLimit: 32,
  loadBatchRecords: 2000,
  deleteBatchPages: 64,
} as const)

export interface IndexedDbStorage extends CrashableStorage {
  readonly name: string
}

/**
 * @internal What a store's owner learns once each write has landed, in commit order (the browser
 * replica's worker tells its follower tabs with these). `committed` gets the commit's changes as
 * stored, one packed batch (record-codec.ts), so nothing is encoded twice. Hooks must not throw; they
 * run after the transaction committed, so nothing they do can undo it.
 */
export interface IndexedDbCommitHooks {
  committed?(batch: ArrayBuffer, meta: ReplicationMeta): void
  switched?(meta: ReplicationMeta): void
}

type Db = IDBPDatabase
type StoreName = 'pages' | 'log' | 'meta'

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

/**
 * Runs a readwrite transaction built by `build` (raw requests only) and waits for it to commit.
 * `followUps`: the build issues more requests from its requests' callbacks, so the transaction is
 * left to commit by itself once they are done instead of being committed at once.
 */
async function writeTransaction(
  db: Db,
  stores: StoreName[],
  durability: 'strict' | 'relaxed',
  doing: string,
  build: (tx: IDBTransaction) => void,
  followUps = false,
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
    if (!followUps) raw.commit?.()
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

const bucketId = (db: number, bucket: number) => `${db}:${bucket}`

export function createIndexedDbStorage(options: IndexedDbStorageOptions, hooks: IndexedDbCommitHooks = {}): IndexedDbStorage {
  const settings = { ...INDEXEDDB_STORAGE_DEFAULTS, ...options }
  const { name, commitDurability, fullSyncBatchBytes, pageBuckets, compactLogBytes, bucketPagesLimit, loadBatchRecords, deleteBatchPages } = settings
  const bad: string[] = []
  if (typeof name !== 'string' || name.length === 0) bad.push(`name (${JSON.stringify(name)}) must be a non-empty string`)
  for (const option of ['fullSyncBatchBytes', 'pageBuckets', 'compactLogBytes', 'bucketPagesLimit', 'loadBatchRecords', 'deleteBatchPages'] as const) {
    const value = settings[option]
    if (!Number.isSafeInteger(value) || value < 1) bad.push(`${option} (${String(value)}) must be a positive integer`)
  }
  if (commitDurability !== 'strict' && commitDurability !== 'relaxed') bad.push(`commitDurability (${String(commitDurability)}) must be 'strict' or 'relaxed'`)
  if (bad.length > 0) throw new RangeError(`Invalid IndexedDB storage options: ${bad.join('; ')}.`)
  const onBackgroundError = options.onBackgroundError ?? ((error: StorageError) => console.warn(error))
  const onConnectionLost = options.onConnectionLost ?? onBackgroundError

  const what = `IndexedDB storage "${name}"`
  const where = `IndexedDB database "${name}"`
  const lifecycle = new StorageLifecycle(what)
  let connection: Db | null = null
  /** Set when work must stop: after close() has drained, or at once on a crash or a lost connection. */
  let stopped = false
  /** The current generation's stored meta, as last written. */
  let current: StoredMeta | null = null
  /** The current generation's log, applied; its `seq` is `current.seq`. */
  let overlay = new LogOverlay(0, 0)
  /** Pages per bucket of the current generation (what decides a merge). */
  let pageCounts = new Map<string, number>()
  /** Log bytes at which the next compaction runs (moved on when one fails). */
  let compactAt = compactLogBytes
  /** A compaction started after the last commit; the next commit waits for it. Never rejects. */
  let compaction: Promise<void> | null = null
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

  /** Deletes every page and log entry in `range`, a batch per transaction. Stops quietly once the storage stops. */
  async function deleteRange(range: IDBKeyRange, doing: string): Promise<void> {
    for (const store of ['pages', 'log'] as const) {
      while (!stopped) {
        let tx
        try {
          tx = live().transaction(store, 'readwrite', { durability: 'relaxed' })
        } catch (error) {
          throw idbError(error, doing)
        }
        let count: number
        try {
          const keys = await tx.store.getAllKeys(range, deleteBatchPages)
          count = keys.length
          if (count > 0) (unwrap(tx.store) as IDBObjectStore).delete(keyRange().bound(keys[0]!, keys[count - 1]!))
          await tx.done
        } catch (error) {
          tx.done.catch(() => {})
          throw idbError(error, doing)
        }
        if (count < deleteBatchPages) break
      }
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

  /** Puts pages of `generation` numbered from `seq`; counts them in `counts`; returns the next seq. */
  function putPages(store: IDBObjectStore, generation: number, seq: number, pages: readonly PageWrite[], counts: Map<string, number>): number {
    for (const { db, bucket, page } of pages) {
      store.put(page, [generation, db, bucket, seq++])
      const id = bucketId(db, bucket)
      counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    return seq
  }

  function createWriter(generation: number, buckets: number): FullSyncWriter {
    const sync = { lifecycle: new WriterLifecycle(what) }
    activeSync = sync
    const buffers = new PageBuffers(buckets)
    const counts = new Map<string, number>()
    let seq = 0
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
      for (const record of prepared) buffers.add(record.db, record.key, record.bytes, record.expireAt)
      if (buffers.bytes < fullSyncBatchBytes) return
      await settleInflight()
      const pages = buffers.drain()
      const first = seq
      seq += pages.length
      inflight = writeTransaction(live(), ['pages'], 'relaxed', 'writing a full sync', (tx) => {
        putPages(tx.objectStore('pages'), generation, first, pages, counts)
      }).then(
        () => null,
        (error: unknown) => idbError(error, 'writing a full sync'),
      )
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
            const replication = copyMeta(meta)
            return async () => {
              // A compaction of the old generation must be over before the switch: it ends by making
              // its generation current in memory. (IndexedDB runs the two transactions in order
              // anyway; waiting says so instead of relying on it.)
              await settleCompaction()
              await write.idle()
              await settleInflight()
              sync.lifecycle.check()
              const pages = buffers.drain()
              const stored: StoredMeta = { format: META_FORMAT, generation, ...replication, seq: seq + pages.length, buckets }
              try {
                await writeTransaction(live(), ['pages', 'meta'], 'strict', 'switching to the new generation', (tx) => {
                  putPages(tx.objectStore('pages'), generation, seq, pages, counts)
                  tx.objectStore('meta').put(stored, META_KEY)
                })
              } catch (error) {
                throw sync.lifecycle.fail(error as Error)
              }
              current = stored
              overlay = new LogOverlay(generation, stored.seq)
              pageCounts = counts
              compactAt = compactLogBytes
              sync.lifecycle.end('committed')
              release()
              dropInBackground(generation)
              hooks.switched?.(replication)
            }
          },
          false,
        )
      },

      async abort() {
        if (!sync.lifecycle.pending) return
        sync.lifecycle.end('aborted')
        release()
        buffers.drain()
        await write.idle()
        if (inflight !== null) await inflight
        inflight = null
        if (!lifecycle.closed) await deleteRange(generationRange(generation), 'aborting a full sync')
      },
    }
  }

  /**
   * Folds the log into pages (see the header). On failure the log stays as it is, consistent, and
   * the next attempt waits until it has grown by another `compactLogBytes`.
   */
  async function compact(): Promise<void> {
    const base = current!
    const g = base.generation
    const folded = overlay
    const counts = new Map(pageCounts)
    let seq = base.seq
    const flushed = folded.flushed
    try {
      await writeTransaction(
        live(),
        ['pages', 'log', 'meta'],
        'relaxed',
        'compacting the commit log',
        (tx) => {
          const pages = tx.objectStore('pages')
          if (flushed.all) {
            pages.delete(generationRange(g))
            counts.clear()
          } else {
            for (const db of flushed.dbs) {
              pages.delete(dbRange(g, db))
              for (const id of [...counts.keys()]) if (id.startsWith(`${db}:`)) counts.delete(id)
            }
          }
          const groups = folded.byBucket(base.buckets)
          const merges = chooseMerges(groups, (group) => counts.get(bucketId(group.db, group.bucket)) ?? 0, bucketPagesLimit)
          for (const group of groups) {
            const id = bucketId(group.db, group.bucket)
            const pageSeq = seq++
            const count = counts.get(id) ?? 0
            if (!merges.has(group)) {
              pages.put(packPage(group.db, group.entries), [g, group.db, group.bucket, pageSeq])
              counts.set(id, count + 1)
              continue
            }
            // Merge: the bucket's pages and the log's share of it become one page.
            const range = bucketRange(g, group.db, group.bucket)
            const read = pages.getAll(range)
            read.onsuccess = () => {
              const merged = resolvePages(read.result as ArrayBuffer[])
              for (const [key, state] of group.entries) {
                if (state === null) merged.delete(key)
                else merged.set(key, state)
              }
              pages.delete(range)
              if (merged.size > 0) pages.put(packPage(group.db, merged), [g, group.db, group.bucket, pageSeq])
            }
            counts.set(id, 1)
          }
          tx.objectStore('log').delete(generationRange(g))
          tx.objectStore('meta').put({ ...base, seq } satisfies StoredMeta, META_KEY)
        },
        true,
      )
    } catch (error) {
      compactAt = folded.bytes + compactLogBytes
      if (!stopped) onBackgroundError(idbError(error, 'compacting the commit log'))
      return
    }
    current = { ...base, seq }
    overlay = new LogOverlay(g, seq)
    pageCounts = counts
    compactAt = compactLogBytes
  }

  /** Waits for a compaction started by the last commit: everything that writes the meta does. */
  async function settleCompaction(): Promise<void> {
    if (compaction === null) return
    await compaction
    compaction = null
  }

  async function writeCommit(batch: ArrayBuffer, count: number, replication: ReplicationMeta): Promise<void> {
    await settleCompaction()
    const base = current
    const g = base?.generation ?? 0
    const logSeq = base?.seq ?? 0
    const stored: StoredMeta = {
      format: META_FORMAT,
      generation: g,
      ...replication,
      seq: count === 0 ? logSeq : logSeq + 1,
      buckets: base?.buckets ?? pageBuckets,
    }
    await writeTransaction(live(), ['log', 'meta'], commitDurability, `committing to ${where}`, (tx) => {
      // A commit that only moves the offset (the master's PINGs) needs no log entry.
      if (count > 0) tx.objectStore('log').put(batch, [g, logSeq])
      tx.objectStore('meta').put(stored, META_KEY)
    })
    current = stored
    if (count > 0) overlay.add(batch)
    overlay.seq = stored.seq
    if (overlay.bytes >= compactAt) compaction = compact()
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
        const raw = await openReplicaDatabase(factory, name)
        const db = (connection = wrap(raw))
        db.addEventListener('versionchange', (event) => {
          // Another connection wants to delete or upgrade the database: let it, and stop.
          const wasStopped = stopped
          shutDown()
          if (wasStopped) return
          const newVersion = (event as IDBVersionChangeEvent).newVersion
          const how = newVersion === null ? 'a deleteDatabase' : `an open at version ${newVersion}, this code's being ${INDEXEDDB_SCHEMA_VERSION}`
          onConnectionLost(new StorageError(
            `${where} is being deleted or upgraded by another connection (${how}); ${what} was closed. ` +
              'What it committed before is intact unless deleted; open a new storage of this name to go on.',
          ))
        })
        db.addEventListener('close', () => {
          if (stopped) return
          shutDown()
          onConnectionLost(new StorageError(
            `The browser closed ${where} (site data cleared, or storage failed), so ${what} stopped. ` +
              'Open a new storage of this name to go on (it resumes from what is still stored, or opens empty).',
          ))
        })
        const tx = raw.transaction(['meta', 'log', 'pages'], 'readonly')
        const meta = (await request(tx.objectStore('meta').get(META_KEY))) as StoredMeta | undefined
        if (meta !== undefined && meta.format !== META_FORMAT) {
          throw new StorageError(`${where} holds meta format ${String(meta.format)}; this version reads format ${META_FORMAT}.`)
        }
        current = meta ?? null
        const generation = meta?.generation ?? 0
        // Leftovers of other generations are rare (a crash mid-sync or mid-removal): look before
        // queueing a readwrite transaction that every read after it would wait for.
        const others = generationRange(generation)
        let leftovers = 0
        for (const store of ['pages', 'log'] as const) {
          leftovers += (await request(tx.objectStore(store).count())) - (await request(tx.objectStore(store).count(others)))
        }
        if (meta !== undefined) {
          overlay = await readOverlay(tx, meta)
          for (const key of (await request(tx.objectStore('pages').getAllKeys(generationRange(meta.generation)))) as PageKey[]) {
            const id = bucketId(key[1], key[2])
            pageCounts.set(id, (pageCounts.get(id) ?? 0) + 1)
          }
        }
        lifecycle.opened()
        if (leftovers > 0) dropInBackground(generation)
        return meta === undefined ? null : { replid: meta.replid, offset: meta.offset, selectedDb: meta.selectedDb }
      } catch (error) {
        shutDown()
        // (A newer schema is already a StorageError of openReplicaDatabase, passed on as it is.)
        throw idbError(error, `opening ${where}`)
      }
    },

    async load(onRecords) {
      // Nothing writes the current generation meanwhile (the shell does not commit while it loads),
      // so each batch of pages may have a transaction of its own (idb-read.ts).
      const db = unwrap(database()) as IDBDatabase
      let failure: { error: unknown } | null = null
      try {
        await readGeneration(db, name, { consistent: false, batchRecords: loadBatchRecords, pagesPerRead: PAGES_PER_READ }, (entries) => {
          const records = entries.map((entry) => toKeyRecord(entry.db, entry.key, entry.value, entry.expireAt, where))
          try {
            onRecords(records)
          } catch (error) {
            failure = { error }
            throw error
          }
        })
      } catch (error) {
        // The caller's own failure goes back to it as it is.
        if (failure !== null) throw (failure as { error: unknown }).error
        throw idbError(error, `loading ${where}`)
      }
    },

    async get(db, key) {
      const raw = unwrap(database()) as IDBDatabase
      let found
      try {
        found = await readKey(raw, name, db, key, overlay)
      } catch (error) {
        throw idbError(error, `reading ${where}`)
      }
      const { entry } = found
      return entry === undefined ? undefined : toKeyRecord(db, key, entry.value, entry.expireAt, where)
    },

    async commit(changes, meta) {
      lifecycle.check()
      return queue.push(() => {
        checkMeta(meta)
        const prepared = prepareChanges(changes)
        const replication = copyMeta(meta)
        const packer = new RecordPacker()
        for (const change of prepared) {
          switch (change.kind) {
            case 'set': packer.set(change.db, change.key, change.bytes, change.expireAt); break
            case 'delete': packer.delete(change.db, change.key); break
            case 'flush-db': packer.flushDb(change.db); break
            case 'flush-all': packer.flushAll(); break
          }
        }
        const count = packer.count
        const batch = packer.finish()
        return async () => {
          await writeCommit(batch, count, replication)
          hooks.committed?.(batch, replication)
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
      await settleCompaction()
      await background
      const generation = current?.generation ?? 0
      await dropOtherGenerations(generation)
      lifecycle.check()
      return createWriter(generation + 1, pageBuckets)
    },

    async close() {
      if (!lifecycle.close()) return
      // Commits (and a full sync's commit) already called still land; then an unfinished full sync
      // is dropped (its pages go on the next open) and background work stops at its next batch.
      await queue.idle()
      await settleCompaction()
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
