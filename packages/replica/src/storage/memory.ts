// The memory adapter: ReplicaStorage with nothing durable, for Node replicas that need no persistence
// and for tests of the shell. It keeps every promise of the interface — atomic commits, generations,
// copies instead of shared objects, a byte quota — so that code tested against it behaves the same
// on IndexedDB and on disk.
//
// Values are held serialized with the core's RDB value codec, as the other adapters store them, so a
// value that would not survive IndexedDB or a file does not survive here either, and a caller can
// never reach stored state through an object it passed in or got back. String values are the
// exception: they are kept as the (immutable) string itself, which is as safe as a copy, and any byte
// string survives every adapter; serializing each one cost more than the rest of a commit.
//
// "Durable" here means: kept in a MemoryBacking. Pass the same backing to a new storage to simulate a
// restart (what survives is exactly what commits left); a full sync in progress lives in the storage
// instance, so a simulated crash loses it, as a real one would.
import type { ByteString, KeyRecord } from '@replicast/core'
import { CommitQueue } from './commit-queue.ts'
import { checkChange, checkMeta, checkRecord, copyMeta, encodeValue, toKeyRecord } from './input.ts'
import { StorageLifecycle, WriterLifecycle } from './lifecycle.ts'
import {
  kSimulateCrash,
  StorageInputError,
  StorageQuotaError,
  type StorageChange,
  type CrashableStorage,
  type FullSyncWriter,
  type ReplicationMeta,
} from './storage.ts'

export interface MemoryStorageOptions {
  /**
   * Most bytes the store may hold: per record, its key's bytes plus its RDB-serialized value's bytes,
   * summed over the current generation and a full sync in progress (both exist until the switch, as
   * in IndexedDB). A commit or full-sync write that would go over it rejects with StorageQuotaError
   * and changes nothing. Set it to test how the shell handles a full disk or browser quota.
   * @default Infinity (unlimited)
   */
  readonly quotaBytes?: number
  /**
   * Where the data lives. Pass the backing of an earlier storage to "reopen" it after `close()` or a
   * simulated crash.
   * @default a new, empty MemoryBacking
   */
  readonly backing?: MemoryBacking
  /**
   * Records per `onRecords` call of `load()`.
   * @default 1000
   */
  readonly loadBatchRecords?: number
}

export const MEMORY_STORAGE_DEFAULTS = Object.freeze({
  quotaBytes: Number.POSITIVE_INFINITY,
  loadBatchRecords: 1000,
} satisfies Omit<Required<MemoryStorageOptions>, 'backing'>)

/**
 * A value as the store keeps it: RDB-serialized, except a string value, kept as the string itself.
 * Strings are immutable, so keeping the caller's is as safe as a copy, and any byte string survives
 * every adapter; serializing each one cost more than the rest of a commit (bench/replication.ts).
 * `size` is what quotaBytes counts: the RDB encoding's length either way.
 */
interface StoredValue {
  readonly bytes: Uint8Array | null
  readonly string: ByteString | null
  readonly size: number
  readonly expireAt: number | null
}

/** The length writeRdbValue gives a string value: type byte, length, bytes (or an integer encoding). */
function rdbStringSize(s: ByteString): number {
  const n = s.length
  if (n > 0 && n <= 11 && /^(?:0|-?[1-9][0-9]*)$/.test(s)) {
    const v = Number(s)
    if (v >= -128 && v <= 127) return 3
    if (v >= -32768 && v <= 32767) return 4
    if (v >= -2147483648 && v <= 2147483647) return 6
  }
  return 1 + (n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9) + n
}

function storedValue(record: KeyRecord): StoredValue {
  checkRecord(record)
  if (record.value.type === 'string') {
    const string = record.value.value
    return { bytes: null, string, size: rdbStringSize(string), expireAt: record.expireAt }
  }
  const bytes = encodeValue(record)
  return { bytes, string: null, size: bytes.length, expireAt: record.expireAt }
}

type PreparedChange =
  | { readonly kind: 'set'; readonly db: number; readonly key: ByteString; readonly value: StoredValue }
  | { readonly kind: 'delete'; readonly db: number; readonly key: ByteString }
  | { readonly kind: 'flush-db'; readonly db: number }
  | { readonly kind: 'flush-all' }

function prepareChanges(changes: readonly StorageChange[]): PreparedChange[] {
  if (!Array.isArray(changes)) throw new StorageInputError('changes must be an array of StorageChange.')
  const out: PreparedChange[] = new Array(changes.length)
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i]!
    if (change?.kind === 'set') {
      out[i] = { kind: 'set', db: change.record.db, key: change.record.key, value: storedValue(change.record) }
    } else {
      checkChange(change)
      out[i] = { ...change }
    }
  }
  return out
}

/** db → key → value; a db without keys has no entry. */
type Dbs = Map<number, Map<ByteString, StoredValue>>

interface Generation {
  meta: ReplicationMeta | null
  dbs: Dbs
  /** Sum of key bytes + value bytes, as quotaBytes counts them. */
  bytes: number
}

const kGeneration = Symbol('generation')

/** The durable part of a memory store: survives the storage instances that use it, one at a time. */
export class MemoryBacking {
  [kGeneration]: Generation = { meta: null, dbs: new Map(), bytes: 0 }
}

/** A new, empty backing (the same as `new MemoryBacking()`). */
export function createMemoryBacking(): MemoryBacking {
  return new MemoryBacking()
}

export interface MemoryStorage extends CrashableStorage {
  /** Where this storage's data lives; give it to a new storage to reopen the same store. */
  readonly backing: MemoryBacking
  /** The quotaBytes count of the current generation plus a full sync in progress. */
  estimateBytes(): Promise<number>
}

const recordBytes = (key: ByteString, value: StoredValue): number => key.length + value.size

function putRecord(dbs: Dbs, db: number, key: ByteString, value: StoredValue): StoredValue | undefined {
  let keys = dbs.get(db)
  if (keys === undefined) dbs.set(db, (keys = new Map()))
  const previous = keys.get(key)
  keys.set(key, value)
  return previous
}

function dbBytes(keys: Map<ByteString, StoredValue>): number {
  let bytes = 0
  for (const [key, value] of keys) bytes += recordBytes(key, value)
  return bytes
}

function toRecord(db: number, key: ByteString, stored: StoredValue): KeyRecord {
  if (stored.string !== null) return { db, key, value: { type: 'string', value: stored.string }, expireAt: stored.expireAt }
  return toKeyRecord(db, key, stored.bytes!, stored.expireAt, 'a memory store')
}

/** One step of a commit, to undo it if the commit as a whole goes over the quota. */
type Undo =
  | { readonly kind: 'key'; readonly db: number; readonly key: ByteString; readonly previous: StoredValue | undefined }
  | { readonly kind: 'db'; readonly db: number; readonly previous: Map<ByteString, StoredValue> | undefined }
  | { readonly kind: 'all'; readonly previous: Dbs }

export function createMemoryStorage(options: MemoryStorageOptions = {}): MemoryStorage {
  const { quotaBytes, loadBatchRecords } = { ...MEMORY_STORAGE_DEFAULTS, ...options }
  if (!(quotaBytes > 0)) throw new RangeError(`quotaBytes must be a positive number of bytes, got ${String(quotaBytes)}.`)
  if (!Number.isInteger(loadBatchRecords) || loadBatchRecords < 1) {
    throw new RangeError(`loadBatchRecords must be a positive integer, got ${String(loadBatchRecords)}.`)
  }
  const backing = options.backing ?? new MemoryBacking()
  const lifecycle = new StorageLifecycle('Memory storage')
  let activeSync: { readonly lifecycle: WriterLifecycle; readonly generation: Generation } | null = null
  // Commits and full-sync switches, in call order, with the failure rules of commit-queue.ts.
  const queue = new CommitQueue<() => void>({ what: 'Memory storage', run: async (steps) => steps.forEach((step) => step()) })

  const usedBytes = () => backing[kGeneration].bytes + (activeSync?.generation.bytes ?? 0)

  function quotaError(neededBytes: number, doing: string): StorageQuotaError {
    return new StorageQuotaError(
      `${doing} would bring the memory store to ${neededBytes} bytes, over quotaBytes (${quotaBytes}); ` +
        'nothing was written. Raise the quotaBytes option, or store less.',
      { limit: 'quotaBytes', limitBytes: quotaBytes, neededBytes },
    )
  }

  function rollback(generation: Generation, undo: readonly Undo[], bytes: number): void {
    for (let i = undo.length - 1; i >= 0; i--) {
      const step = undo[i]!
      if (step.kind === 'all') generation.dbs = step.previous
      else if (step.kind === 'db') {
        if (step.previous === undefined) generation.dbs.delete(step.db)
        else generation.dbs.set(step.db, step.previous)
      } else {
        const keys = generation.dbs.get(step.db)
        if (step.previous !== undefined) putRecord(generation.dbs, step.db, step.key, step.previous)
        else if (keys !== undefined) {
          keys.delete(step.key)
          if (keys.size === 0) generation.dbs.delete(step.db)
        }
      }
    }
    generation.bytes = bytes
  }

  function applyChanges(generation: Generation, changes: readonly PreparedChange[]): Undo[] {
    const undo: Undo[] = []
    for (const change of changes) {
      switch (change.kind) {
        case 'set': {
          const { db, key, value } = change
          const previous = putRecord(generation.dbs, db, key, value)
          undo.push({ kind: 'key', db, key, previous })
          generation.bytes += recordBytes(key, value) - (previous === undefined ? 0 : recordBytes(key, previous))
          break
        }
        case 'delete': {
          const keys = generation.dbs.get(change.db)
          const previous = keys?.get(change.key)
          if (keys === undefined || previous === undefined) break
          undo.push({ kind: 'key', db: change.db, key: change.key, previous })
          keys.delete(change.key)
          if (keys.size === 0) generation.dbs.delete(change.db)
          generation.bytes -= recordBytes(change.key, previous)
          break
        }
        case 'flush-db': {
          const previous = generation.dbs.get(change.db)
          if (previous === undefined) break
          undo.push({ kind: 'db', db: change.db, previous })
          generation.dbs.delete(change.db)
          generation.bytes -= dbBytes(previous)
          break
        }
        case 'flush-all':
          undo.push({ kind: 'all', previous: generation.dbs })
          generation.dbs = new Map()
          generation.bytes = 0
          break
      }
    }
    return undo
  }

  function beginFullSync(): FullSyncWriter {
    lifecycle.check()
    if (activeSync !== null) activeSync.lifecycle.end('superseded')
    const sync = { lifecycle: new WriterLifecycle('Memory storage'), generation: { meta: null, dbs: new Map(), bytes: 0 } as Generation }
    activeSync = sync
    const release = () => {
      if (activeSync === sync) activeSync = null
    }
    return {
      async write(records) {
        sync.lifecycle.check()
        const prepared = records.map((record) => ({ db: record.db, key: record.key, value: storedValue(record) }))
        const before = sync.generation.bytes
        const undo: Undo[] = []
        for (const r of prepared) {
          const value = r.value
          const previous = putRecord(sync.generation.dbs, r.db, r.key, value)
          undo.push({ kind: 'key', db: r.db, key: r.key, previous })
          sync.generation.bytes += recordBytes(r.key, value) - (previous === undefined ? 0 : recordBytes(r.key, previous))
        }
        const needed = usedBytes()
        if (needed > quotaBytes) {
          rollback(sync.generation, undo, before)
          throw sync.lifecycle.fail(quotaError(needed, 'This full-sync write'))
        }
      },
      commit(meta) {
        // Queued at once, even when it is bound to fail: commits called after it carry the stream
        // that follows this snapshot and must never land on the old generation (commit-queue.ts).
        return queue.push(() => {
          sync.lifecycle.check()
          checkMeta(meta)
          const stored = copyMeta(meta)
          return () => {
            sync.lifecycle.check()
            sync.generation.meta = stored
            backing[kGeneration] = sync.generation
            sync.lifecycle.end('committed')
            release()
          }
        }, false)
      },

      async abort() {
        if (sync.lifecycle.pending) sync.lifecycle.end('aborted')
        release()
      },
    }
  }

  const storage: MemoryStorage = {
    backing,

    async open() {
      lifecycle.beginOpen()
      lifecycle.opened()
      const { meta } = backing[kGeneration]
      return meta === null ? null : copyMeta(meta)
    },

    async load(onRecords) {
      lifecycle.check()
      let batch: KeyRecord[] = []
      for (const [db, keys] of backing[kGeneration].dbs) {
        for (const [key, stored] of keys) {
          batch.push(toRecord(db, key, stored))
          if (batch.length === loadBatchRecords) {
            onRecords(batch)
            batch = []
          }
        }
      }
      if (batch.length > 0) onRecords(batch)
    },

    async get(db, key) {
      lifecycle.check()
      const stored = backing[kGeneration].dbs.get(db)?.get(key)
      return stored === undefined ? undefined : toRecord(db, key, stored)
    },

    async commit(changes, meta) {
      lifecycle.check()
      return queue.push(() => {
        checkMeta(meta)
        const prepared = prepareChanges(changes)
        const stored = copyMeta(meta)
        return () => {
          const generation = backing[kGeneration]
          const before = generation.bytes
          const undo = applyChanges(generation, prepared)
          const needed = usedBytes()
          if (needed > quotaBytes && generation.bytes > before) {
            rollback(generation, undo, before)
            throw quotaError(needed, 'This commit')
          }
          generation.meta = stored
        }
      })
    },

    async beginFullSync() {
      return beginFullSync()
    },

    async estimateBytes() {
      lifecycle.check()
      return usedBytes()
    },

    async close() {
      if (!lifecycle.close()) return
      // Commits (and a full sync's commit) already called still land; an unfinished full sync is dropped.
      await queue.idle()
      queue.close()
      activeSync?.lifecycle.close()
      activeSync = null
    },

    [kSimulateCrash]() {
      lifecycle.close()
      queue.close()
      activeSync?.lifecycle.close()
      activeSync = null
    },
  }
  return storage
}
