// Storage changes and records packed into one ArrayBuffer, so that they cross a postMessage (main
// thread ⇄ storage worker) or a BroadcastChannel (leader tab → follower tabs) as one transferable
// buffer instead of a structured clone of thousands of small objects.
//
//   encodeChanges(changes) → ArrayBuffer        decodeChanges(buffer) → StorageChange[]
//   encodeRecords(records) → ArrayBuffer        decodeRecords(buffer) → KeyRecord[]
//   RecordPacker: stored values (already RDB-encoded) packed without decoding them
//
// Layout, little-endian; a batch is a u32 count of entries, then the entries:
//
//   1 set        u16 db · u32 keyLength · key bytes · u8 hasExpiry · [f64 expireAt] · u32 valueLength · value
//   2 delete     u16 db · u32 keyLength · key bytes
//   3 flush-db   u16 db
//   4 flush-all  (nothing)
//
// A value is the core's RDB value encoding (`writeRdbValue`), the same bytes the IndexedDB adapter
// stores, so a record read from IndexedDB is forwarded without being decoded and re-encoded.
// Keys are ByteStrings: one byte per char. The record batch (encodeRecords) is a change batch whose
// entries are all `set`.
//
// Deliberately left out: validation of what goes in (the storage adapter checks every record and
// change, and refuses bad input with StorageInputError before writing anything).
import { bytesToByteString, readRdbValue, writeRdbValue, type ByteString, type KeyRecord } from '@replicast/core'
import { StorageCorruptError, type StorageChange } from './storage.ts'

const SET = 1
const DELETE = 2
const FLUSH_DB = 3
const FLUSH_ALL = 4

/** Thrown when a buffer does not hold a batch this codec wrote (a bug: batches never leave the tab's threads). */
export class RecordCodecError extends StorageCorruptError {}

/** Builds one packed batch, entry by entry, growing its buffer as needed. */
export class RecordPacker {
  #buffer: ArrayBuffer
  #bytes: Uint8Array
  #view: DataView
  #length = 4
  #count = 0

  constructor(initialBytes = 64 * 1024) {
    this.#buffer = new ArrayBuffer(initialBytes)
    this.#bytes = new Uint8Array(this.#buffer)
    this.#view = new DataView(this.#buffer)
  }

  get count(): number {
    return this.#count
  }

  #reserve(extra: number): void {
    const need = this.#length + extra
    if (need <= this.#bytes.length) return
    let size = this.#bytes.length * 2
    while (size < need) size *= 2
    const grown = new ArrayBuffer(size)
    const view = new Uint8Array(grown)
    view.set(this.#bytes.subarray(0, this.#length))
    this.#buffer = grown
    this.#bytes = view
    this.#view = new DataView(grown)
  }

  #key(db: number, key: ByteString): void {
    const view = this.#view
    view.setUint16(this.#length, db, true)
    view.setUint32(this.#length + 2, key.length, true)
    let at = this.#length + 6
    const bytes = this.#bytes
    for (let i = 0; i < key.length; i++) bytes[at++] = key.charCodeAt(i)
    this.#length = at
  }

  /** A `set` whose value is already RDB-encoded (`writeRdbValue`'s bytes). */
  set(db: number, key: ByteString, value: Uint8Array, expireAt: number | null): void {
    this.#reserve(1 + 6 + key.length + 9 + 4 + value.length)
    this.#bytes[this.#length++] = SET
    this.#key(db, key)
    const view = this.#view
    if (expireAt === null) {
      this.#bytes[this.#length++] = 0
    } else {
      this.#bytes[this.#length++] = 1
      view.setFloat64(this.#length, expireAt, true)
      this.#length += 8
    }
    view.setUint32(this.#length, value.length, true)
    this.#length += 4
    this.#bytes.set(value, this.#length)
    this.#length += value.length
    this.#count++
  }

  record(record: KeyRecord): void {
    this.set(record.db, record.key, writeRdbValue(record.value), record.expireAt)
  }

  delete(db: number, key: ByteString): void {
    this.#reserve(1 + 6 + key.length)
    this.#bytes[this.#length++] = DELETE
    this.#key(db, key)
    this.#count++
  }

  flushDb(db: number): void {
    this.#reserve(3)
    this.#bytes[this.#length++] = FLUSH_DB
    this.#view.setUint16(this.#length, db, true)
    this.#length += 2
    this.#count++
  }

  flushAll(): void {
    this.#reserve(1)
    this.#bytes[this.#length++] = FLUSH_ALL
    this.#count++
  }

  change(change: StorageChange): void {
    switch (change.kind) {
      case 'set': return this.record(change.record)
      case 'delete': return this.delete(change.db, change.key)
      case 'flush-db': return this.flushDb(change.db)
      case 'flush-all': return this.flushAll()
    }
  }

  /** The packed batch, in a buffer of its own (transferable); the packer starts over. */
  finish(): ArrayBuffer {
    this.#view.setUint32(0, this.#count, true)
    const out = this.#buffer.slice(0, this.#length)
    this.#length = 4
    this.#count = 0
    return out
  }
}

export function encodeChanges(changes: readonly StorageChange[]): ArrayBuffer {
  const packer = new RecordPacker()
  for (const change of changes) packer.change(change)
  return packer.finish()
}

export function encodeRecords(records: readonly KeyRecord[]): ArrayBuffer {
  const packer = new RecordPacker()
  for (const record of records) packer.record(record)
  return packer.finish()
}

/** One decoded entry; `value` is still RDB-encoded (a view into the batch). */
export type PackedEntry =
  | { readonly kind: 'set'; readonly db: number; readonly key: ByteString; readonly value: Uint8Array; readonly expireAt: number | null }
  | { readonly kind: 'delete'; readonly db: number; readonly key: ByteString }
  | { readonly kind: 'flush-db'; readonly db: number }
  | { readonly kind: 'flush-all' }

/** Walks a packed batch; values are left encoded (views into `buffer`, valid while it is). */
export function* readPacked(buffer: ArrayBuffer): Generator<PackedEntry> {
  const bytes = new Uint8Array(buffer)
  const view = new DataView(buffer)
  if (bytes.length < 4) throw new RecordCodecError(`A packed batch has at least 4 bytes; got ${bytes.length}.`)
  const count = view.getUint32(0, true)
  let at = 4
  const key = (): { db: number; key: ByteString } => {
    const db = view.getUint16(at, true)
    const length = view.getUint32(at + 2, true)
    const start = at + 6
    at = start + length
    if (at > bytes.length) throw new RecordCodecError(`A packed key runs past the end of its batch (${at} > ${bytes.length}).`)
    return { db, key: bytesToByteString(bytes, start, at) }
  }
  for (let i = 0; i < count; i++) {
    const kind = bytes[at++]
    switch (kind) {
      case SET: {
        const k = key()
        let expireAt: number | null = null
        if (bytes[at++] === 1) {
          expireAt = view.getFloat64(at, true)
          at += 8
        }
        const length = view.getUint32(at, true)
        const start = at + 4
        at = start + length
        if (at > bytes.length) throw new RecordCodecError(`A packed value runs past the end of its batch (${at} > ${bytes.length}).`)
        yield { kind: 'set', db: k.db, key: k.key, value: bytes.subarray(start, at), expireAt }
        break
      }
      case DELETE: {
        const k = key()
        yield { kind: 'delete', db: k.db, key: k.key }
        break
      }
      case FLUSH_DB:
        yield { kind: 'flush-db', db: view.getUint16(at, true) }
        at += 2
        break
      case FLUSH_ALL:
        yield { kind: 'flush-all' }
        break
      default:
        throw new RecordCodecError(`Unknown entry kind ${String(kind)} at byte ${at - 1} of a packed batch.`)
    }
  }
  if (at !== bytes.length) throw new RecordCodecError(`A packed batch of ${count} entries ends at byte ${at} of ${bytes.length}.`)
}

export function decodeChanges(buffer: ArrayBuffer): StorageChange[] {
  const out: StorageChange[] = []
  for (const entry of readPacked(buffer)) {
    switch (entry.kind) {
      case 'set':
        out.push({ kind: 'set', record: { db: entry.db, key: entry.key, value: readRdbValue(entry.value), expireAt: entry.expireAt } })
        break
      case 'delete':
        out.push({ kind: 'delete', db: entry.db, key: entry.key })
        break
      case 'flush-db':
        out.push({ kind: 'flush-db', db: entry.db })
        break
      case 'flush-all':
        out.push({ kind: 'flush-all' })
        break
    }
  }
  return out
}

export function decodeRecords(buffer: ArrayBuffer): KeyRecord[] {
  const out: KeyRecord[] = []
  for (const entry of readPacked(buffer)) {
    if (entry.kind !== 'set') throw new RecordCodecError(`A record batch holds only records; found a ${entry.kind}.`)
    out.push({ db: entry.db, key: entry.key, value: readRdbValue(entry.value), expireAt: entry.expireAt })
  }
  return out
}
