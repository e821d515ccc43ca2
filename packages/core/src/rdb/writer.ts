// An incremental RDB writer: `REDIS0010` files that redis-server 7.0 to 7.4, redis-check-rdb and our
// reader all load (REDIS.md §8.5). A snapshot of any size is produced in slices: write some keys,
// `take()` the bytes, hand them to a socket or a file, continue. The CRC-64 runs across slices.
//
//   const w = new RdbWriter()
//   w.writeHeader({ 'redis-ver': '7.0.15', 'redis-bits': 64, ctime: seconds, 'used-mem': bytes,
//                   'repl-stream-db': 0, 'repl-id': replid, 'repl-offset': offset, 'aof-base': 0 })
//   w.selectDb(0, { keys: 2, expires: 1 })
//   w.writeKey(record); w.writeKey(other); send(w.take())
//   w.writeEnd(); send(w.take())
//
// The caller guarantees what Redis requires and the writer cannot check without holding every key:
// no duplicate key within a database ("Duplicated key found in RDB file" makes Redis panic), and
// unique members in each set, hash and zset; encodeRdb checks duplicate keys. Keys and values must
// be ByteStrings (bytes.ts): a char above 0xFF is not checked, for speed, and would lose its high bits.
//
//   new ─writeHeader─► body ─selectDb/writeKey/writeAux…─► body ─writeEnd─► ended   (take() at any time)
import type { ByteString } from '../bytes.ts'
import type { KeyRecord } from '../values.ts'
import { Crc64 } from './crc64.ts'
import { printableKey, RDB_ERROR_CODES, RdbWriteError } from './errors.ts'
import {
  RDB_CHECKSUM_BYTES, RDB_MAGIC, RDB_OPCODE_AUX, RDB_OPCODE_EOF, RDB_OPCODE_EXPIRETIME_MS, RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB, RDB_WRITE_VERSION,
} from './opcodes.ts'
import { RdbOutput } from './output.ts'
import { isEmptyValue, rdbTypeOf, validateValue, writeValuePayload } from './value-encoder.ts'

export interface RdbWriterOptions {
  /**
   * LZF-compress strings longer than 20 bytes when that saves at least 4 bytes (Redis's
   * `rdbcompression yes`). Off by default, because it fails our bar for a default (a 1,000,000-key
   * snapshot at most ~15% slower to write). Measured with bench/rdb.ts (1M keys × 100-byte values,
   * Node 20, 2 vCPUs): ×2.2-2.9 the write time for incompressible values, ×1.0-1.2 for
   * DEBUG POPULATE-like values, which shrink 69% (113.9 MB → 35.8 MB, the size Redis writes).
   * Every value pays the attempt, and the saving only matters on slow links or disk, since a full
   * sync sends the snapshot once. Turn it on for snapshots kept on disk or sent over slow links.
   * @default false
   */
  readonly compression: boolean
  /**
   * Write the CRC-64 after the EOF opcode. false writes 8 zero bytes, which Redis reads as
   * "checksum disabled" (`rdbchecksum no`).
   * @default true
   */
  readonly checksum: boolean
  /**
   * Number of databases of the receiving server; a database at or above it is refused, because a
   * Redis configured with `databases N` exits on loading it.
   * @default 16
   */
  readonly databases: number
}

export const RDB_WRITER_DEFAULTS: RdbWriterOptions = Object.freeze({
  compression: false,
  checksum: true,
  databases: 16,
})

/**
 * AUX fields, written in insertion order. Numbers and bigints are written as Redis writes integers
 * (`rdbSaveAuxFieldStrInt`: int-encoded when they fit 32 bits); strings that look like integers are
 * int-encoded too, as rdbSaveRawString does.
 */
export type RdbAux = Readonly<Record<string, ByteString | number | bigint>>

/** Sizes for the RESIZEDB hint after a SELECTDB. */
export interface RdbDbSizes {
  readonly keys: number
  readonly expires: number
}

const STATE_NEW = 0
const STATE_BODY = 1
const STATE_ENDED = 2

export class RdbWriter {
  readonly #options: RdbWriterOptions
  readonly #out = new RdbOutput()
  readonly #crc = new Crc64()
  #crcFrom = 0
  #taken = 0
  #state = STATE_NEW
  #db = -1

  constructor(options?: Partial<RdbWriterOptions>) {
    const merged = { ...RDB_WRITER_DEFAULTS, ...options }
    if (typeof merged.compression !== 'boolean' || typeof merged.checksum !== 'boolean' ||
        !Number.isSafeInteger(merged.databases) || merged.databases < 1) {
      throw new RangeError(
        `RdbWriter options: compression and checksum must be booleans and databases a positive integer; got ${JSON.stringify(merged)}.`,
      )
    }
    this.#options = merged
  }

  /** Bytes produced so far, taken or not. */
  get bytesWritten(): number {
    return this.#taken + this.#out.length
  }

  /** The database the next keys go to, or -1 before the first SELECTDB. */
  get selectedDb(): number {
    return this.#db
  }

  /** Writes `REDIS0010` and the AUX fields. */
  writeHeader(aux: RdbAux = {}): void {
    this.#expect(STATE_NEW, 'writeHeader()')
    this.#out.latin1(RDB_MAGIC + String(RDB_WRITE_VERSION).padStart(4, '0'))
    this.#state = STATE_BODY
    this.writeAux(aux)
  }

  /**
   * Writes AUX fields between keys. Redis writes its own at the start, but its loader (one opcode
   * loop in rdbLoadRioWithLoadingCtx), redis-check-rdb and RdbReader accept them anywhere before
   * EOF: a snapshot whose replication offset is known only at its end can carry it there.
   */
  writeAux(aux: RdbAux): void {
    this.#expect(STATE_BODY, 'writeAux()')
    const out = this.#out
    for (const [key, value] of Object.entries(aux)) {
      const text = typeof value === 'string' ? value : auxNumber(key, value)
      out.byte(RDB_OPCODE_AUX)
      out.string(key, false)
      out.string(text, false)
    }
  }

  /** Writes SELECTDB, and RESIZEDB when sizes are given. Keys written next belong to `db`. */
  selectDb(db: number, sizes?: RdbDbSizes): void {
    this.#expect(STATE_BODY, 'selectDb()')
    this.#checkDb(db)
    const out = this.#out
    out.byte(RDB_OPCODE_SELECTDB)
    out.len(db)
    if (sizes !== undefined) {
      if (!Number.isSafeInteger(sizes.keys) || sizes.keys < 0 || !Number.isSafeInteger(sizes.expires) || sizes.expires < 0) {
        throw new RdbWriteError(RDB_ERROR_CODES.invalidRecord, `RESIZEDB sizes must be non-negative integers, got ${JSON.stringify(sizes)}.`)
      }
      out.byte(RDB_OPCODE_RESIZEDB)
      out.len(sizes.keys)
      out.len(sizes.expires)
    }
    this.#db = db
  }

  /**
   * Writes one key: EXPIRETIME_MS when it expires, the type byte, the key, the value. A record of
   * another database than the selected one gets a SELECTDB first. Empty collections are skipped
   * (Redis never stores them and redis-check-rdb rejects them): returns false, having written nothing.
   */
  writeKey(record: KeyRecord): boolean {
    this.#expect(STATE_BODY, 'writeKey()')
    const value = record.value
    if (value.type !== 'string') {
      validateValue(value, () => `Key ${printableKey(record.key)}`)
      if (isEmptyValue(value)) return false
    }
    const expireAt = record.expireAt
    if (expireAt !== null && !Number.isSafeInteger(expireAt)) {
      throw new RdbWriteError(RDB_ERROR_CODES.invalidRecord, `Key ${printableKey(record.key)} has expireAt ${String(expireAt)}; expected integer Unix milliseconds or null.`)
    }
    if (record.db !== this.#db) this.selectDb(record.db)
    const out = this.#out
    const compress = this.#options.compression
    if (expireAt !== null) {
      out.byte(RDB_OPCODE_EXPIRETIME_MS)
      out.i64le(expireAt)
    }
    out.byte(rdbTypeOf(value))
    out.string(record.key, compress)
    writeValuePayload(out, value, compress)
    return true
  }

  /** Writes the EOF opcode and the checksum. Take the bytes afterwards. */
  writeEnd(): void {
    this.#expect(STATE_BODY, 'writeEnd()')
    const out = this.#out
    out.byte(RDB_OPCODE_EOF)
    this.#crc.update(out.buf, this.#crcFrom, out.length)
    out.reserve(RDB_CHECKSUM_BYTES)
    if (this.#options.checksum) this.#crc.writeLE(out.buf, out.length)
    else out.buf.fill(0, out.length, out.length + RDB_CHECKSUM_BYTES)
    out.length += RDB_CHECKSUM_BYTES
    this.#crcFrom = out.length
    this.#state = STATE_ENDED
  }

  /**
   * The bytes produced since the last take (a fresh array the caller owns). `headroomBytes` > 0: the
   * array is a view that many bytes into its own buffer, and those bytes before it are the caller's
   * (a frame header can be written there, and the chunk sent without another copy).
   */
  take(headroomBytes = 0): Uint8Array {
    const out = this.#out
    if (this.#state !== STATE_ENDED) this.#crc.update(out.buf, this.#crcFrom, out.length)
    this.#crcFrom = 0
    this.#taken += out.length
    return out.take(headroomBytes)
  }

  #expect(state: number, call: string): void {
    if (this.#state === state) return
    const now = this.#state === STATE_NEW ? 'before writeHeader()' : this.#state === STATE_ENDED ? 'after writeEnd()' : 'after writeHeader()'
    throw new RdbWriteError(RDB_ERROR_CODES.writerState, `RdbWriter: ${call} cannot be called ${now}; the order is writeHeader, selectDb/writeKey…, writeEnd.`)
  }

  #checkDb(db: number): void {
    if (!Number.isSafeInteger(db) || db < 0 || db >= this.#options.databases) {
      throw new RdbWriteError(
        RDB_ERROR_CODES.invalidRecord,
        `Database ${String(db)} is outside 0..${this.#options.databases - 1}; a Redis with 'databases ${this.#options.databases}' refuses it. Raise the databases option if the receiver has more.`,
      )
    }
  }
}

function auxNumber(key: string, value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString()
  if (!Number.isSafeInteger(value)) {
    throw new RdbWriteError(RDB_ERROR_CODES.invalidRecord, `AUX field ${printableKey(key)} must be an integer or a string, got ${String(value)}.`)
  }
  return String(value)
}

/**
 * A whole RDB file from records, grouped by database (ascending), each database announced with
 * RESIZEDB. Empty collections are skipped. Throws RdbWriteError on a duplicate key in a database.
 */
export function encodeRdb(records: Iterable<KeyRecord>, aux: RdbAux = {}, options?: Partial<RdbWriterOptions>): Uint8Array {
  const byDb = new Map<number, KeyRecord[]>()
  for (const record of records) {
    let list = byDb.get(record.db)
    if (list === undefined) byDb.set(record.db, (list = []))
    list.push(record)
  }
  const writer = new RdbWriter(options)
  writer.writeHeader(aux)
  for (const db of [...byDb.keys()].sort((a, b) => a - b)) {
    const seen = new Set<ByteString>()
    const kept: KeyRecord[] = []
    let expires = 0
    for (const record of byDb.get(db)!) {
      if (seen.has(record.key)) {
        throw new RdbWriteError(RDB_ERROR_CODES.invalidRecord, `Duplicate key ${printableKey(record.key)} in db ${db}; Redis panics on loading it (Duplicated key found in RDB file).`)
      }
      seen.add(record.key)
      if (record.value.type !== 'string' && isEmptyValue(record.value)) continue
      kept.push(record)
      if (record.expireAt !== null) expires++
    }
    if (kept.length === 0) continue
    writer.selectDb(db, { keys: kept.length, expires })
    for (const record of kept) writer.writeKey(record)
  }
  writer.writeEnd()
  return writer.take()
}
