// The storage interface every replica adapter implements (memory, IndexedDB, file) and its errors
// (input.ts holds the checks the adapters share). The shell (replica.ts) codes against `ReplicaStorage` only; the
// contract suite (contract.ts) holds every adapter to the promises written here.
//
// The promise that matters most (DESIGN §5): the replication ID and offset are written in the same
// transaction as the data they describe, so after any crash the stored data is exactly the master's
// state at the stored offset. Everything else follows from it:
//
//   open()            recovers from any earlier crash; returns the meta of the last durable commit
//   commit(c, meta)   all of `c` and `meta`, or nothing (a MULTI/EXEC is persisted whole or not at all)
//   beginFullSync()   builds a new generation beside the current one; `commit(meta)` switches to it
//                     atomically and removes the old one; until then every read sees the old one
//
// Deliberately left out: expiry (a replica never expires keys by itself, DESIGN §2; `expireAt` is
// stored and returned as is), reads by pattern (the shell serves those from its in-memory dataset,
// filled by `load`), and any knowledge of RESP or of the stream: storage sees effects, not commands.
import { ReplicastError } from '@replicast/core'
import type { ByteString, KeyRecord } from '@replicast/core'

/** Where the replica is in the master's stream; durable together with the data it describes. */
export interface ReplicationMeta {
  /** The master's replication ID (Redis `master_replid`, 40 hex characters from a Redis master). */
  readonly replid: string
  /** Bytes of the master's stream applied (Redis `master_repl_offset`). A safe integer ≥ 0. */
  readonly offset: number
  /**
   * The db selected in the stream at that offset. Redis keeps it across a partial resync (the master
   * does not repeat SELECT), so it must be durable with the offset. -1 when the stream has not selected
   * one yet (Redis `slaveseldb = -1` right after a full sync).
   */
  readonly selectedDb: number
}

/** One change to the stored dataset, as produced by applying the stream. */
export type StorageChange =
  | { readonly kind: 'set'; readonly record: KeyRecord }
  | { readonly kind: 'delete'; readonly db: number; readonly key: ByteString }
  | { readonly kind: 'flush-db'; readonly db: number }
  | { readonly kind: 'flush-all' }

export const STORAGE_CHANGE_KINDS = Object.freeze(['set', 'delete', 'flush-db', 'flush-all'] as const)
export type StorageChangeKind = (typeof STORAGE_CHANGE_KINDS)[number]

/**
 * Receives a new generation during a full sync. Obtained from `ReplicaStorage.beginFullSync()`.
 * A write rejected for bad input (StorageInputError) stored none of its records and the writer stays
 * usable; any other failure (quota, I/O) fails the writer: later calls reject with that error, and
 * `abort()` removes what was written.
 */
export interface FullSyncWriter {
  /**
   * Adds records to the new generation. Keys are unique within a full sync (an RDB never repeats a
   * key in a db); a repeated key replaces the earlier record. Resolves when the adapter can take more
   * (backpressure): await it before writing the next batch.
   */
  write(records: readonly KeyRecord[]): Promise<void>
  /**
   * Makes the new generation current, with `meta`, in one atomic step; the old generation is removed
   * afterwards. Before this resolves, a crash leaves the old generation and its meta.
   */
  commit(meta: ReplicationMeta): Promise<void>
  /** Drops the new generation. The old one stays current. Safe to call more than once, and after a failure. */
  abort(): Promise<void>
}

/**
 * A replica's durable copy of the dataset. Call `open()` first, exactly once. Methods called after
 * `close()` reject with `StorageClosedError`.
 */
export interface ReplicaStorage {
  /**
   * Opens the store and recovers from any earlier crash (torn log tail, half-written generation).
   * Resolves with the meta of the last durable commit, or null when the store never committed.
   */
  open(): Promise<ReplicationMeta | null>
  /**
   * Delivers every stored record of the current generation, in batches, to fill the in-memory
   * dataset. `onRecords` is called synchronously between storage operations; it must not keep the
   * array. Do not commit while loading (IndexedDB: a commit waits until the load is done).
   */
  load(onRecords: (records: readonly KeyRecord[]) => void): Promise<void>
  /** One record of the current generation, read directly (fast on a large store; no scan). */
  get(db: number, key: ByteString): Promise<KeyRecord | undefined>
  /**
   * Applies `changes` in order and stores `meta`, atomically: after a crash either all of them and
   * `meta` are stored, or none and the previous meta. On failure it rejects with a `StorageError`
   * (`StorageQuotaError` when out of room) and the previous durable state is intact and usable.
   * Commits are applied in the order they are called, even when not awaited one by one. Because each
   * builds on the one before, a failure also fails, unapplied, every commit called while the failed
   * one was still pending (StorageError, the failure as `cause`); once they have all settled,
   * commits are accepted again (commit-queue.ts). A full sync's `commit` takes part in this order.
   */
  commit(changes: readonly StorageChange[], meta: ReplicationMeta): Promise<void>
  /**
   * Starts a full sync into a new generation beside the current one. Only one full sync runs at a
   * time: beginning another aborts the unfinished one (its writer then rejects every call).
   */
  beginFullSync(): Promise<FullSyncWriter>
  /** Bytes the store takes (for status panels and quota warnings); an estimate where exactness is costly. */
  estimateBytes?(): Promise<number>
  /** Waits for pending writes, then releases the store. Unfinished full syncs are dropped. Idempotent. */
  close(): Promise<void>
}

/**
 * Testing hook: stops an adapter the way a crash would, at once and without cleanup (no flushing,
 * no removal of half-written data), so a new instance can open the same store as after a restart.
 * Adapters implement it; harnesses call it. Not for production use.
 */
export const kSimulateCrash: unique symbol = Symbol.for('replicast.storage.simulateCrash')

/** An adapter that can simulate a crash (all of ours can). */
export interface CrashableStorage extends ReplicaStorage {
  [kSimulateCrash](): void
}

// ─── Errors ──────────────────────────────────────────────────────────────────────────────────────

export const STORAGE_ERROR_CODES = Object.freeze({
  /** A storage operation failed (I/O error, aborted transaction); the cause is attached. */
  storage: 'ERR_STORAGE',
  /** Out of room: browser quota, disk full, or the adapter's own byte limit. */
  quota: 'ERR_STORAGE_QUOTA',
  /** The storage was used after `close()`. */
  closed: 'ERR_STORAGE_CLOSED',
  /** Stored bytes fail their checksum or format, beyond what a crash can explain (a torn tail). */
  corrupt: 'ERR_STORAGE_CORRUPT',
  /** The caller passed something the store cannot hold (a non-byte string key, a db out of range). */
  input: 'ERR_STORAGE_INPUT',
} as const)
export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[keyof typeof STORAGE_ERROR_CODES]

/** Base of all storage failures; `code` tells which. Thrown as is for I/O failures and aborted transactions. */
export class StorageError extends ReplicastError {
  declare readonly code: StorageErrorCode

  constructor(message: string, options?: ErrorOptions & { code?: StorageErrorCode }) {
    super(options?.code ?? STORAGE_ERROR_CODES.storage, message, options)
  }
}

/**
 * Out of room. `limit` names what ran out: an option (`quotaBytes`, `maxBytes`), `'disk'` (ENOSPC,
 * EDQUOT) or `'browser-quota'` (QuotaExceededError). The write that hit it was not applied.
 */
export class StorageQuotaError extends StorageError {
  readonly limit: string
  /** The limit in bytes, when known. */
  readonly limitBytes: number | null
  /** The bytes the store would have taken with the write, when known. */
  readonly neededBytes: number | null

  constructor(
    message: string,
    details: { limit: string; limitBytes?: number | null; neededBytes?: number | null },
    options?: ErrorOptions,
  ) {
    super(message, { ...options, code: STORAGE_ERROR_CODES.quota })
    this.limit = details.limit
    this.limitBytes = details.limitBytes ?? null
    this.neededBytes = details.neededBytes ?? null
  }
}

/** The storage was used after `close()` (or after a simulated crash). */
export class StorageClosedError extends StorageError {
  constructor(what: string) {
    super(`${what} is closed; create and open a new storage to use the store again.`, {
      code: STORAGE_ERROR_CODES.closed,
    })
  }
}

/**
 * Stored bytes fail their checksum or format in a way a crash cannot explain (a torn tail is not
 * corruption: it is cut off silently, by design). `path` and `position` locate it when known. The
 * store cannot be opened; delete it and let the replica full-sync.
 */
export class StorageCorruptError extends StorageError {
  readonly path: string | null
  readonly position: number | null

  constructor(message: string, where: { path?: string | null; position?: number | null } = {}, options?: ErrorOptions) {
    super(message, { ...options, code: STORAGE_ERROR_CODES.corrupt })
    this.path = where.path ?? null
    this.position = where.position ?? null
  }
}

/** The caller passed a record, change or meta that the store cannot hold. Nothing was written. */
export class StorageInputError extends StorageError {
  constructor(message: string) {
    super(message, { code: STORAGE_ERROR_CODES.input })
  }
}
