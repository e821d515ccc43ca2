// The packed layout of the IndexedDB adapter (schema 2), without any I/O: which bucket a key lives
// in, a bucket's pages resolved to its records, pages built from records, and the commit log read
// back as an overlay on the pages.
//
// A generation's data is two kinds of IndexedDB records, each a packed batch (record-codec.ts):
//
//   pages  [generation, db, bucket, seq] → `set`s and `delete`s (tombstones) of keys of `db` whose
//                                          bucketOf(key) is `bucket`; within a bucket a later seq wins
//   log    [generation, seq]             → the changes of one commit, every kind
//
// and the data they stand for is the pages, resolved bucket by bucket, with the log applied over
// them in seq order. A commit is one put into the log; once the log is large, one compaction
// transaction folds it into at most one new page per bucket it touches and deletes it.
//
// Why not one IndexedDB record per key (schema 1): Chromium spends about 35 µs per put whatever the
// record's size (DESIGN §9, measured), which capped a full sync at ~25,000 keys/s and made a commit
// of 1,000 writes cost 1,000 puts. Packed, a full sync costs one put per bucket per batch and a
// commit one put, while a point read still touches one bucket and the log: the buckets are hashes,
// not key ranges, because a full sync arrives in the master's hash-table order and cannot be sorted
// without holding all of it.
import type { ByteString } from '@replicast/core'
import { readPacked, RecordPacker } from './record-codec.ts'

/** A key's stored state: its value as stored (RDB value bytes) and expiry. */
export interface StoredEntry {
  readonly value: Uint8Array
  readonly expireAt: number | null
}

/** What a page or the log says of a key: its entry, or null when it was deleted. */
export type EntryState = StoredEntry | null

/** The bucket of a key: FNV-1a over its bytes, modulo the generation's bucket count. */
export function bucketOf(key: ByteString, buckets: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return (hash >>> 0) % buckets
}

/** The live keys of one bucket, from its pages oldest first (later pages win; tombstones remove). */
export function resolvePages(pages: Iterable<ArrayBuffer>): Map<ByteString, StoredEntry> {
  const live = new Map<ByteString, StoredEntry>()
  for (const page of pages) {
    for (const entry of readPacked(page)) {
      if (entry.kind === 'set') live.set(entry.key, { value: entry.value, expireAt: entry.expireAt })
      else if (entry.kind === 'delete') live.delete(entry.key)
    }
  }
  return live
}

/** What a bucket's pages (oldest first) say of one key; undefined when none mentions it. */
export function findInPages(pages: readonly ArrayBuffer[], key: ByteString): EntryState | undefined {
  for (let p = pages.length - 1; p >= 0; p--) {
    let found: EntryState | undefined
    for (const entry of readPacked(pages[p]!)) {
      if (entry.kind === 'set' && entry.key === key) found = { value: entry.value, expireAt: entry.expireAt }
      else if (entry.kind === 'delete' && entry.key === key) found = null
    }
    if (found !== undefined) return found
  }
  return undefined
}

/** One page's content: a bucket's entries, tombstones as null. */
export function packPage(db: number, entries: Iterable<readonly [ByteString, EntryState]>): ArrayBuffer {
  const packer = new RecordPacker(4096)
  for (const [key, state] of entries) {
    if (state === null) packer.delete(db, key)
    else packer.set(db, key, state.value, state.expireAt)
  }
  return packer.finish()
}

/** A page to store: its place and content. */
export interface PageWrite {
  readonly db: number
  readonly bucket: number
  readonly page: ArrayBuffer
}

/** Records of a full sync, sorted into their buckets until there are enough to write. */
export class PageBuffers {
  readonly #buckets: number
  readonly #packers = new Map<number, { db: number; bucket: number; packer: RecordPacker }>()
  #bytes = 0

  constructor(buckets: number) {
    this.#buckets = buckets
  }

  /** Bytes held, roughly as they will be stored. */
  get bytes(): number {
    return this.#bytes
  }

  add(db: number, key: ByteString, value: Uint8Array, expireAt: number | null): void {
    const bucket = bucketOf(key, this.#buckets)
    const id = db * this.#buckets + bucket
    let slot = this.#packers.get(id)
    if (slot === undefined) this.#packers.set(id, (slot = { db, bucket, packer: new RecordPacker(1024) }))
    slot.packer.set(db, key, value, expireAt)
    this.#bytes += 20 + key.length + value.length
  }

  /** Every non-empty bucket as one page; the buffers start over. */
  drain(): PageWrite[] {
    const out: PageWrite[] = []
    for (const { db, bucket, packer } of this.#packers.values()) out.push({ db, bucket, page: packer.finish() })
    this.#packers.clear()
    this.#bytes = 0
    return out
  }
}

/** A bucket's share of the log, as a compaction writes it. */
export interface BucketChanges {
  readonly db: number
  readonly bucket: number
  readonly entries: ReadonlyMap<ByteString, EntryState>
}

/**
 * The commit log of a generation, applied: for every key it mentions, the key's last state, and
 * which dbs it flushed (whose pages no longer count). `seq` is the stored meta's `seq` it reflects,
 * so a reader knows whether a cached overlay still describes the log.
 */
export class LogOverlay {
  readonly generation: number
  seq: number
  /** Packed bytes of the log entries applied. */
  bytes = 0
  #allFlushed = false
  readonly #flushedDbs = new Set<number>()
  readonly #dbs = new Map<number, Map<ByteString, EntryState>>()

  constructor(generation: number, seq: number) {
    this.generation = generation
    this.seq = seq
  }

  /** Applies one log entry (a packed batch of changes). */
  add(batch: ArrayBuffer): void {
    this.bytes += batch.byteLength
    for (const entry of readPacked(batch)) {
      switch (entry.kind) {
        case 'set':
          this.#keys(entry.db).set(entry.key, { value: entry.value, expireAt: entry.expireAt })
          break
        case 'delete':
          this.#keys(entry.db).set(entry.key, null)
          break
        case 'flush-db':
          this.#flushedDbs.add(entry.db)
          this.#dbs.delete(entry.db)
          break
        case 'flush-all':
          this.#allFlushed = true
          this.#dbs.clear()
          break
      }
    }
  }

  #keys(db: number): Map<ByteString, EntryState> {
    let keys = this.#dbs.get(db)
    if (keys === undefined) this.#dbs.set(db, (keys = new Map()))
    return keys
  }

  get empty(): boolean {
    return this.bytes === 0
  }

  /** True when the log flushed `db` (or every db): none of its pages count. */
  pagesDead(db: number): boolean {
    return this.#allFlushed || this.#flushedDbs.has(db)
  }

  /** What the log says of a key; undefined when the pages decide. */
  lookup(db: number, key: ByteString): EntryState | undefined {
    const state = this.#dbs.get(db)?.get(key)
    if (state !== undefined) return state
    return this.pagesDead(db) ? null : undefined
  }

  /** The dbs whose pages a compaction deletes first: every one with pages when `all`. */
  get flushed(): { readonly all: boolean; readonly dbs: ReadonlySet<number> } {
    return { all: this.#allFlushed, dbs: this.#flushedDbs }
  }

  /** Every key the log sets, with its entry (for a load, after the pages). */
  *sets(): Generator<{ db: number; key: ByteString; entry: StoredEntry }> {
    for (const [db, keys] of this.#dbs) {
      for (const [key, state] of keys) if (state !== null) yield { db, key, entry: state }
    }
  }

  /**
   * The log's keys grouped by bucket, as a compaction writes them. Tombstones of a flushed db are
   * left out: its pages are deleted before the new ones are written, so nothing older remains.
   */
  byBucket(buckets: number): BucketChanges[] {
    const groups = new Map<number, { db: number; bucket: number; entries: Map<ByteString, EntryState> }>()
    for (const [db, keys] of this.#dbs) {
      const dead = this.pagesDead(db)
      for (const [key, state] of keys) {
        if (state === null && dead) continue
        const bucket = bucketOf(key, buckets)
        const id = db * buckets + bucket
        let group = groups.get(id)
        if (group === undefined) groups.set(id, (group = { db, bucket, entries: new Map() }))
        group.entries.set(key, state)
      }
    }
    return [...groups.values()]
  }
}


/**
 * The buckets a compaction merges: those with `limit` pages or more, fullest first, at most one in
 * `spread` of the buckets it writes, except that a bucket at twice the limit is always merged. A
 * full sync gives every bucket the same number of pages and overwrites spread over the store touch
 * them all alike, so without the cap they would all come due in the same compaction and rewrite the
 * whole store in one transaction, holding every commit behind it.
 */
export function chooseMerges(groups: readonly BucketChanges[], pagesOf: (group: BucketChanges) => number, limit: number, spread = 8): Set<BucketChanges> {
  const due = groups.filter((group) => pagesOf(group) >= limit).sort((a, b) => pagesOf(b) - pagesOf(a))
  const budget = Math.ceil(groups.length / spread)
  return new Set(due.filter((group, i) => i < budget || pagesOf(group) >= 2 * limit))
}
