// A streaming RDB reader: bytes go in as they arrive (from a socket, a file, IndexedDB), events
// come out — aux fields, database switches, size hints, one event per key, and the end with the
// checksum verdict. It reads every file Redis 2.4 to 7.4 writes for strings, lists, sets, sorted
// sets and hashes (REDIS.md §8), walks over modules, functions and streams with a warning, and
// verifies the CRC-64 when the file has one.
//
//   header ─► { AUX | SELECTDB | RESIZEDB | EXPIRETIME[_MS] | FREQ | IDLE | SLOT_INFO | FUNCTION*
//               | MODULE_AUX | <type> <key> <value> }* ─► EOF ─► checksum (version ≥ 5) ─► done
//
// Memory: the reader never holds the whole file. It keeps the chunks that hold the item in
// progress (one key, or one element of a collection being read element by element) and drops
// everything before. A value split across chunks is assembled once its bytes are all there, so
// input of any size is read in linear time.
//
// Deliberately left out: a clock. Keys whose expiry has passed are reported like any other (a
// replica keeps them until the master's DEL, REDIS.md §2.5); the consumer decides. Duplicate keys
// are not detected here (that needs every key in memory); the dataset that loads them does it.
import type { ByteString } from '../bytes.ts'
import type { KeyRecord } from '../values.ts'
import { Crc64 } from './crc64.ts'
import {
  printableKey, RDB_ERROR_CODES, RDB_WARNING_CODES, RdbError, RdbLimitError, type RdbWarning, type RdbWarningCode,
} from './errors.ts'
import { corrupt, hex, Input, NEED_MORE } from './input.ts'
import { resolveRdbReaderOptions, type RdbReaderOptions } from './limits.ts'
import * as T from './opcodes.ts'
import { ModuleSkipper } from './skip.ts'
import { isValueType, ValueDecoder, type DecodeContext } from './value-decoder.ts'

export type RdbEvent =
  /** An AUX field (`redis-ver`, `repl-id`, …); integer-encoded values come back as decimal text. */
  | { readonly kind: 'aux'; readonly key: ByteString; readonly value: ByteString }
  /** SELECTDB: the keys that follow belong to `db`. Keys before any SELECTDB are in db 0. */
  | { readonly kind: 'db'; readonly db: number }
  /** RESIZEDB: a size hint for the current database. */
  | { readonly kind: 'resize-db'; readonly keys: number; readonly expires: number }
  | { readonly kind: 'key'; readonly record: KeyRecord }
  /** The end of the file. `checksum` is 'disabled' when the file stores 0 or predates checksums. */
  | { readonly kind: 'end'; readonly checksum: 'ok' | 'disabled' }

const STATE_HEADER = 0
const STATE_BODY = 1
const STATE_CHECKSUM = 2
const STATE_DONE = 3

const MAX_KEPT_WARNINGS = 100

/** What the reader is inside of, for the message of a truncation. */
interface Item {
  readonly offset: number
  readonly what: string
}

export class RdbReader {
  readonly #options: RdbReaderOptions
  readonly #input: Input
  readonly #crc = new Crc64()
  /** Index in the input buffer up to which bytes have been added to the CRC. */
  #crcFrom = 0
  #state = STATE_HEADER
  #version = 0
  #db = 0
  #expireAt: number | null = null
  #pending: Uint8Array[] = []
  #received = 0
  #error: Error | null = null
  /** The key whose value is being decoded across pushes, or the MODULE_AUX being skipped. */
  #current: { readonly key: ByteString | null; readonly type: number; readonly offset: number; readonly decoder: ValueDecoder | ModuleSkipper } | null = null
  readonly #warnings: RdbWarning[] = []
  #warningCount = 0
  #warningKey: ByteString | undefined = undefined
  #warningOffset = 0
  readonly #context: DecodeContext

  constructor(options?: Partial<RdbReaderOptions>) {
    this.#options = resolveRdbReaderOptions(options)
    this.#input = new Input(this.#options.maxValueBytes)
    this.#context = {
      maxCollectionLength: this.#options.maxCollectionLength,
      warn: (code, message) => this.#warn(code, message, this.#warningOffset, this.#warningKey),
    }
  }

  /** Bytes consumed so far: every byte before the item in progress. */
  get bytesRead(): number {
    return this.#input.base + this.#input.mark
  }

  /** The RDB version from the header, or 0 before it has been read. */
  get version(): number {
    return this.#version
  }

  /** True once the EOF opcode (and the checksum, if any) has been read. */
  get done(): boolean {
    return this.#state === STATE_DONE
  }

  /** The first 100 warnings (all of them go to the onWarning option). */
  get warnings(): readonly RdbWarning[] {
    return this.#warnings
  }

  /** How many warnings there were in all. */
  get warningCount(): number {
    return this.#warningCount
  }

  /**
   * Feeds the next bytes of the file and returns the events they complete. The chunk is kept (not
   * copied) until consumed: do not modify it afterwards. Throws RdbError on malformed input, and
   * then the events of this push are not returned: a snapshot that fails to load is discarded
   * whole. After an error the reader is failed and throws the same error again.
   */
  push(chunk: Uint8Array): RdbEvent[] {
    if (this.#error !== null) throw this.#error
    const events: RdbEvent[] = []
    if (chunk.length === 0) return events
    const input = this.#input
    if (this.#state === STATE_DONE) {
      throw this.#fail(corrupt(this.#received, `${chunk.length} unexpected byte(s) after the end of the RDB (expected nothing after the checksum)`))
    }
    this.#received += chunk.length
    this.#pending.push(chunk)
    // Wait until the item in progress can complete: its bytes are merged once, not once per chunk.
    if (this.#received < input.need) return events
    this.#refill()
    try {
      this.#parse(events)
    } catch (error) {
      if (error !== NEED_MORE) throw this.#fail(this.#annotate(error))
      input.pos = input.mark
    }
    if (this.#state === STATE_DONE && input.mark < input.end) {
      const extra = input.end - input.mark
      throw this.#fail(corrupt(input.base + input.mark, `${extra} unexpected byte(s) after the end of the RDB (expected nothing after the checksum)`))
    }
    return events
  }

  /** Declares the end of the input. Throws ERR_RDB_TRUNCATED when the RDB has not ended. */
  finish(): void {
    if (this.#error !== null) throw this.#error
    if (this.#state === STATE_DONE) return
    const item = this.#item()
    const missing = Math.max(1, this.#input.need - this.#received)
    throw this.#fail(new RdbError(
      RDB_ERROR_CODES.truncated,
      `RDB truncated: the input ended after ${this.#received} bytes, inside ${item.what} that starts at byte ${item.offset}; ` +
        `at least ${missing} more byte(s) were expected. The file or transfer was cut short.`,
      this.#received,
    ))
  }

  #fail(error: unknown): Error {
    this.#error = error instanceof Error ? error : new Error(String(error))
    return this.#error
  }

  // Appends the key a failure happened in, so that a corrupt file points at its key.
  #annotate(error: unknown): unknown {
    const current = this.#current
    if (error instanceof RdbError && !(error instanceof RdbLimitError) && current !== null && current.key !== null) {
      ;(error as { message: string }).message +=
        ` (in the value of key ${printableKey(current.key)}, type ${current.type} ${T.RDB_TYPE_NAMES[current.type] ?? ''}, db ${this.#db})`
    }
    return error
  }

  #item(): Item {
    const input = this.#input
    const offset = input.base + input.mark
    if (this.#state === STATE_HEADER) return { offset, what: 'the header (REDIS + 4-digit version)' }
    if (this.#state === STATE_CHECKSUM) return { offset, what: 'the 8-byte checksum' }
    const current = this.#current
    if (current !== null) {
      return {
        offset: current.offset,
        what: current.key === null
          ? 'module AUX data'
          : `the value of key ${printableKey(current.key)} (type ${current.type} ${T.RDB_TYPE_NAMES[current.type] ?? ''})`,
      }
    }
    if (input.mark >= input.end) return { offset, what: 'the next opcode (the file has no EOF opcode)' }
    const op = input.buf[input.mark]!
    return { offset, what: isValueType(op) ? `a key of type ${op} (${T.RDB_TYPE_NAMES[op] ?? ''})` : `opcode ${hex(op)}` }
  }

  // Replaces the input buffer with the unconsumed rest of it followed by the pending chunks. The
  // consumed bytes go into the CRC first, since they are about to be dropped.
  #refill(): void {
    const input = this.#input
    this.#crcUpTo(input.mark)
    const rest = input.end - input.mark
    let buffer: Uint8Array
    if (rest === 0 && this.#pending.length === 1) {
      buffer = this.#pending[0]!
    } else {
      let length = rest
      for (const chunk of this.#pending) length += chunk.length
      buffer = new Uint8Array(length)
      buffer.set(input.buf.subarray(input.mark, input.end), 0)
      let at = rest
      for (const chunk of this.#pending) {
        buffer.set(chunk, at)
        at += chunk.length
      }
    }
    this.#pending = []
    input.setBuffer(buffer, input.base + input.mark)
    this.#crcFrom = 0
  }

  #crcUpTo(index: number): void {
    if (this.#state === STATE_CHECKSUM || this.#state === STATE_DONE) return
    if (index > this.#crcFrom) this.#crc.update(this.#input.buf, this.#crcFrom, index)
    this.#crcFrom = index
  }

  #warn(code: RdbWarningCode, message: string, offset: number, key?: ByteString): void {
    const warning: RdbWarning = key === undefined
      ? { code, message: `${message} (at byte ${offset})`, offset }
      : { code, message: `key ${printableKey(key)} in db ${this.#db}: ${message} (at byte ${offset})`, offset, key, db: this.#db }
    this.#warningCount++
    if (this.#warnings.length < MAX_KEPT_WARNINGS) this.#warnings.push(warning)
    this.#options.onWarning?.(warning)
  }

  #parse(events: RdbEvent[]): void {
    const input = this.#input
    if (this.#state === STATE_HEADER) this.#readHeader()
    for (;;) {
      input.commit()
      if (this.#state === STATE_CHECKSUM) {
        this.#readChecksum(events)
        return
      }
      if (this.#current !== null) this.#resume(events)
      const at = input.pos
      const type = input.u8()
      if (type === T.RDB_TYPE_STRING) {
        // The hot path: most keys of most snapshots are strings.
        const key = input.string('a key')
        const value = input.string('a string value')
        events.push({ kind: 'key', record: { db: this.#db, key, value: { type: 'string', value }, expireAt: this.#expireAt } })
        this.#expireAt = null
        continue
      }
      if (type < T.RDB_OPCODE_SLOT_INFO) {
        if (!isValueType(type)) {
          throw corrupt(input.base + at, `unknown value type ${type} (expected a value type 0-7, 9-25 or an opcode 0xf4-0xff)`)
        }
        const key = input.string('a key')
        const valueAt = input.offset
        this.#current = { key, type, offset: input.base + at, decoder: new ValueDecoder(type, valueAt, this.#context) }
        input.commit()
        this.#resume(events)
        continue
      }
      this.#readOpcode(type, at, events)
    }
  }

  // Continues the value in progress; returns when it is complete (or throws NEED_MORE).
  #resume(events: RdbEvent[]): void {
    const current = this.#current!
    const input = this.#input
    this.#warningKey = current.key ?? undefined
    this.#warningOffset = current.offset
    if (current.decoder instanceof ModuleSkipper) {
      current.decoder.step(input)
      input.commit()
      this.#current = null
      this.#warn(RDB_WARNING_CODES.moduleAuxSkipped, `module AUX data of '${current.decoder.name}' was skipped: Replicast has no modules`, current.offset)
      return
    }
    const value = current.decoder.step(input)
    // Commit before clearing #current: a rewind must never land inside a finished value.
    input.commit()
    this.#current = null
    const expireAt = this.#expireAt
    this.#expireAt = null
    if ('skipped' in value) return // a module value or a stream, reported by the decoder
    const empty =
      (value.type === 'list' && value.items.length === 0) ||
      (value.type === 'set' && value.members.length === 0) ||
      (value.type === 'hash' && value.fields.length === 0) ||
      (value.type === 'zset' && value.entries.length === 0)
    if (empty) {
      this.#warn(RDB_WARNING_CODES.emptyKeySkipped, 'an empty collection was skipped, as Redis does (rdbLoadObject skipping empty key)', current.offset, current.key!)
      return
    }
    events.push({ kind: 'key', record: { db: this.#db, key: current.key!, value, expireAt } })
  }

  #readHeader(): void {
    const input = this.#input
    // Refuse a wrong signature as soon as its first bytes arrive, not only once 9 bytes are there.
    for (let i = input.pos; i < input.end && i < T.RDB_MAGIC.length; i++) {
      if (input.buf[i] !== T.RDB_MAGIC.charCodeAt(i)) {
        const seen = String.fromCharCode(...input.buf.subarray(0, Math.min(input.end, T.RDB_MAGIC.length)))
        throw new RdbError(
          RDB_ERROR_CODES.signature,
          `Not an RDB file: expected "REDIS" at byte 0, found ${printableKey(seen)} (Wrong signature trying to load DB from file)`,
          0,
        )
      }
    }
    const header = input.bytes(T.RDB_HEADER_BYTES)
    let version = 0
    for (let i = 5; i < 9; i++) {
      const digit = header[i]! - 0x30
      if (digit < 0 || digit > 9) {
        throw new RdbError(RDB_ERROR_CODES.version, `RDB version at byte 5 is not 4 ASCII digits: ${printableKey(String.fromCharCode(...header.subarray(5)))}`, 5)
      }
      version = version * 10 + digit
    }
    if (version < 1 || version > T.RDB_MAX_READ_VERSION) {
      throw new RdbError(
        RDB_ERROR_CODES.version,
        `Can't handle RDB format version ${version} (at byte 5): this reader accepts versions 1 to ${T.RDB_MAX_READ_VERSION} (Redis up to 7.4).`,
        5,
      )
    }
    this.#version = version
    this.#state = STATE_BODY
  }

  #readChecksum(events: RdbEvent[]): void {
    const input = this.#input
    const at = input.pos
    input.ensure(T.RDB_CHECKSUM_BYTES)
    const stored = input.buf.subarray(at, at + T.RDB_CHECKSUM_BYTES)
    input.pos = at + T.RDB_CHECKSUM_BYTES
    if (stored.every((b) => b === 0)) {
      events.push({ kind: 'end', checksum: 'disabled' })
    } else if (this.#crc.equalsLE(stored, 0)) {
      events.push({ kind: 'end', checksum: 'ok' })
    } else {
      let storedHex = ''
      for (let i = 7; i >= 0; i--) storedHex += stored[i]!.toString(16).padStart(2, '0')
      throw new RdbError(
        RDB_ERROR_CODES.checksum,
        `RDB checksum mismatch at byte ${input.base + at}: the file stores 0x${storedHex}, its bytes give ` +
          `0x${this.#crc.value.toString(16).padStart(16, '0')} (RDB CRC error); the file is corrupt.`,
        input.base + at,
      )
    }
    this.#state = STATE_DONE
    input.commit()
  }

  #readOpcode(op: number, at: number, events: RdbEvent[]): void {
    const input = this.#input
    const offset = input.base + at
    switch (op) {
      case T.RDB_OPCODE_EOF:
        this.#crcUpTo(input.pos)
        if (this.#expireAt !== null) throw corrupt(offset, 'EOF right after an expire time (expected a key)')
        if (this.#version >= T.RDB_FIRST_VERSION_WITH_CHECKSUM) {
          this.#state = STATE_CHECKSUM
        } else {
          this.#state = STATE_DONE
          events.push({ kind: 'end', checksum: 'disabled' })
          input.commit()
        }
        return
      case T.RDB_OPCODE_SELECTDB: {
        const db = input.length('the SELECTDB database number')
        if (db >= this.#options.databases) throw new RdbLimitError('databases', this.#options.databases, db, offset, 'SELECTDB database')
        this.#db = db
        events.push({ kind: 'db', db })
        return
      }
      case T.RDB_OPCODE_RESIZEDB: {
        const keys = input.length('the RESIZEDB key count')
        const expires = input.length('the RESIZEDB expires count')
        events.push({ kind: 'resize-db', keys, expires })
        return
      }
      case T.RDB_OPCODE_EXPIRETIME_MS:
        // Little-endian since version 9; before it, host order, which was little-endian everywhere
        // Redis ran in practice (rdbLoadMillisecondTime).
        this.#expireAt = input.i64le('EXPIRETIME_MS')
        return
      case T.RDB_OPCODE_EXPIRETIME:
        this.#expireAt = input.i32le() * 1000
        return
      case T.RDB_OPCODE_FREQ:
        input.skip(1) // LFU counter: no eviction policy here
        return
      case T.RDB_OPCODE_IDLE:
        input.length('the IDLE time') // LRU idle seconds: likewise
        return
      case T.RDB_OPCODE_AUX: {
        const key = input.string('an AUX field name')
        const value = input.string('an AUX field value')
        events.push({ kind: 'aux', key, value })
        return
      }
      case T.RDB_OPCODE_SLOT_INFO:
        // Cluster slot sizes (7.4+); ignored outside cluster mode, as Redis does.
        input.length('the SLOT_INFO slot')
        input.length('the SLOT_INFO slot size')
        input.length('the SLOT_INFO expires slot size')
        return
      case T.RDB_OPCODE_FUNCTION2:
        input.skipString('a function library')
        this.#warn(RDB_WARNING_CODES.functionSkipped, 'a function library was skipped: Replicast does not run functions', offset)
        return
      case T.RDB_OPCODE_FUNCTION_PRE_GA: {
        // 7.0-rc format: name, engine, has-description, [description], code (rdbFunctionLoad).
        input.skipString('a function name')
        input.skipString('a function engine')
        if (input.length('a function description flag') !== 0) input.skipString('a function description')
        input.skipString('a function library')
        this.#warn(RDB_WARNING_CODES.functionSkipped, 'a pre-GA function library was skipped: Replicast does not run functions', offset)
        return
      }
      case T.RDB_OPCODE_MODULE_AUX:
        this.#current = { key: null, type: op, offset, decoder: new ModuleSkipper(true) }
        input.commit()
        this.#resume(events)
        return
      default:
        throw corrupt(offset, `unknown opcode ${hex(op)}`)
    }
  }
}
