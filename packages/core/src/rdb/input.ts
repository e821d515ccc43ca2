// The read cursor of the RDB reader: one contiguous buffer, a position in it, and the primitives of
// the format (lengths, strings, little-endian numbers). Every primitive either completes or throws
// NEED_MORE without side effects other than moving `pos`; the reader then rewinds to `mark`, the
// last point where everything before was fully consumed, and retries when `need` bytes are there.
// `need` is exact (the header of a 100 MB string says how many bytes to wait for), so a value split
// across many chunks is merged once, not once per chunk.
//
// Deliberately left out: buffering of incoming chunks (reader.ts does it) and any notion of keys.
import { bytesToByteString, type ByteString } from '../bytes.ts'
import { RDB_ERROR_CODES, RdbError, RdbLimitError } from './errors.ts'
import { LZF_OUTPUT_OVERFLOW, lzfDecompress } from './lzf.ts'
import { RDB_32BITLEN, RDB_64BITLEN, RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_INT8, RDB_ENC_LZF } from './opcodes.ts'

/** Thrown (not an Error: no stack to capture) when the buffer ends inside the item being read. */
export const NEED_MORE: { readonly needMore: true } = Object.freeze({ needMore: true })

interface NodeLatin1Buffer {
  latin1Slice(start: number, end: number): string
}
interface NodeBufferStatic {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): NodeLatin1Buffer
}
// Node's Buffer#latin1Slice decodes a byte range into a one-byte string several times faster than
// String.fromCharCode (measured: 62 ms vs 368 ms for 1M strings of 100 bytes). It is a global in
// Node, not an import; browsers take the portable path in bytes.ts with identical results.
const NodeBuffer: NodeBufferStatic | undefined = (() => {
  const B = (globalThis as unknown as { Buffer?: NodeBufferStatic & { prototype?: Partial<NodeLatin1Buffer> } }).Buffer
  return B !== undefined && typeof B.prototype?.latin1Slice === 'function' ? B : undefined
})()

const EMPTY = new Uint8Array(0)
const TWO_32 = 4294967296
const DOUBLE_BYTES = new Uint8Array(8)
const DOUBLE_VIEW = new DataView(DOUBLE_BYTES.buffer)
/** Output bytes per compressed byte, at most: a 3-byte back reference yields 264 bytes. */
const LZF_MAX_EXPANSION = 88
/** What #plainLength returns for an encoded (LZF or integer) string. */
const ENCODED = -1

export function corrupt(offset: number, detail: string): RdbError {
  return new RdbError(RDB_ERROR_CODES.corrupt, `RDB corrupt at byte ${offset}: ${detail}`, offset)
}

export function hex(byte: number): string {
  return '0x' + byte.toString(16).padStart(2, '0')
}

export class Input {
  buf: Uint8Array = EMPTY
  /** Index in `buf` of the next byte to read. */
  pos = 0
  /** Index in `buf` after the last byte available. */
  end = 0
  /** Absolute stream offset of `buf[0]`. */
  base = 0
  /** Index in `buf` of the last commit: everything before it is consumed for good. */
  mark = 0
  /** Absolute offset the last NEED_MORE asked to have received before trying again. */
  need = 0
  #latin1: NodeLatin1Buffer | null = null
  // LZF output goes to a reused buffer: allocating a typed array per compressed string cost more
  // than decompressing it (1M 100-byte values: 1.8 s with fresh arrays).
  #scratch: Uint8Array = new Uint8Array(1024)
  #scratchLatin1: NodeLatin1Buffer | null = null
  readonly maxValueBytes: number

  constructor(maxValueBytes: number) {
    this.maxValueBytes = maxValueBytes
  }

  setBuffer(buf: Uint8Array, base: number): void {
    this.buf = buf
    this.base = base
    this.pos = 0
    this.mark = 0
    this.end = buf.length
    this.#latin1 = NodeBuffer !== undefined && buf.length > 0 ? NodeBuffer.from(buf.buffer, buf.byteOffset, buf.length) : null
  }

  /** Absolute offset of `pos`. */
  get offset(): number {
    return this.base + this.pos
  }

  commit(): void {
    this.mark = this.pos
  }

  /** Throws NEED_MORE unless `n` bytes are available at `pos`. */
  ensure(n: number): void {
    if (this.end - this.pos < n) {
      this.need = this.base + this.pos + n
      throw NEED_MORE
    }
  }

  u8(): number {
    if (this.pos >= this.end) {
      this.need = this.base + this.pos + 1
      throw NEED_MORE
    }
    return this.buf[this.pos++]!
  }

  /** A view of the next `n` bytes (not a copy). */
  bytes(n: number): Uint8Array {
    this.ensure(n)
    const start = this.pos
    this.pos += n
    return this.buf.subarray(start, start + n)
  }

  skip(n: number): void {
    this.ensure(n)
    this.pos += n
  }

  /** A 32-bit little-endian signed integer. */
  i32le(): number {
    this.ensure(4)
    const b = this.buf
    const p = this.pos
    this.pos += 4
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)
  }

  /**
   * A 64-bit little-endian signed integer as a number; values outside ±2^53 are corrupt here
   * (they can only be expiry times or hash-field TTLs, which are milliseconds since 1970).
   */
  i64le(what: string): number {
    this.ensure(8)
    const b = this.buf
    const p = this.pos
    const lo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0
    const hi = b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)
    const value = hi * TWO_32 + lo
    if (!Number.isSafeInteger(value)) throw corrupt(this.base + p, `${what} ${value} is out of range (expected Unix milliseconds)`)
    this.pos += 8
    return value
  }

  /** A 64-bit little-endian IEEE-754 double (rdbLoadBinaryDoubleValue). */
  f64le(): number {
    this.ensure(8)
    const b = this.buf
    const p = this.pos
    for (let i = 0; i < 8; i++) DOUBLE_BYTES[i] = b[p + i]!
    this.pos = p + 8
    return DOUBLE_VIEW.getFloat64(0, true)
  }

  /** A length (rdbLoadLenByRef). Special string encodings (`11xxxxxx`) are corrupt here. */
  length(what: string): number {
    const start = this.pos
    if (start >= this.end) {
      this.need = this.base + start + 1
      throw NEED_MORE
    }
    const b = this.buf
    const first = b[start]!
    const kind = first >> 6
    if (kind === 0) {
      this.pos = start + 1
      return first
    }
    if (kind === 1) {
      this.ensure(2)
      this.pos = start + 2
      return ((first & 0x3f) << 8) | b[start + 1]!
    }
    if (first === RDB_32BITLEN) {
      this.ensure(5)
      this.pos = start + 5
      return ((b[start + 1]! << 24) | (b[start + 2]! << 16) | (b[start + 3]! << 8) | b[start + 4]!) >>> 0
    }
    if (first === RDB_64BITLEN) {
      this.ensure(9)
      this.pos = start + 9
      const hi = ((b[start + 1]! << 24) | (b[start + 2]! << 16) | (b[start + 3]! << 8) | b[start + 4]!) >>> 0
      const lo = ((b[start + 5]! << 24) | (b[start + 6]! << 16) | (b[start + 7]! << 8) | b[start + 8]!) >>> 0
      // Beyond 2^53 the number is approximate, but every use compares it with a limit far below.
      return hi * TWO_32 + lo
    }
    throw corrupt(
      this.base + start,
      kind === 3
        ? `expected ${what} (a length), found the string encoding byte ${hex(first)}`
        : `unknown length encoding ${hex(first)} for ${what}`,
    )
  }

  /** A 64-bit length exactly, for module ids. */
  lengthBig(what: string): bigint {
    const start = this.pos
    const first = this.u8()
    if (first === RDB_64BITLEN) {
      this.ensure(8)
      const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8)
      this.pos += 8
      return view.getBigUint64(0, false)
    }
    this.pos = start
    return BigInt(this.length(what))
  }

  #checkSize(n: number, offset: number, what: string): void {
    if (n > this.maxValueBytes) throw new RdbLimitError('maxValueBytes', this.maxValueBytes, n, offset, `Length of ${what}`)
  }

  /** Decodes `buf[start, end)` as a ByteString. */
  latin1(start: number, end: number): ByteString {
    if (start === end) return ''
    const fast = this.#latin1
    return fast !== null ? fast.latin1Slice(start, end) : bytesToByteString(this.buf, start, end)
  }

  /** A string (rdbGenericLoadStringObject): plain, integer-encoded or LZF-compressed. */
  string(what: string): ByteString {
    const n = this.#plainLength(what)
    if (n !== ENCODED) {
      this.ensure(n)
      const s = this.pos
      this.pos = s + n
      return this.latin1(s, s + n)
    }
    const encoding = this.buf[this.pos]! & 0x3f
    if (encoding === RDB_ENC_LZF) {
      const length = this.#lzf(what)
      if (length === 0) return ''
      const fast = this.#scratchLatin1
      return fast !== null ? fast.latin1Slice(0, length) : bytesToByteString(this.#scratch, 0, length)
    }
    return String(this.#integer(encoding, what))
  }

  /**
   * A string as bytes, for encoded blobs (listpacks, ziplists, intsets). The result is a view of
   * the input or of a scratch buffer: valid only until the next read.
   */
  blob(what: string): Uint8Array {
    const n = this.#plainLength(what)
    if (n !== ENCODED) return this.bytes(n)
    const encoding = this.buf[this.pos]! & 0x3f
    if (encoding === RDB_ENC_LZF) {
      const length = this.#lzf(what) // first: it may replace the scratch buffer
      return this.#scratch.subarray(0, length)
    }
    // Redis hands the decimal digits to the blob validator, which then rejects them.
    const digits = String(this.#integer(encoding, what))
    const out = new Uint8Array(digits.length)
    for (let i = 0; i < digits.length; i++) out[i] = digits.charCodeAt(i)
    return out
  }

  /** Skips a string without decoding it (streams, module data, functions). */
  skipString(what: string): void {
    const start = this.pos
    const n = this.#plainLength(what)
    if (n !== ENCODED) {
      this.skip(n)
      return
    }
    const encoding = this.buf[start]! & 0x3f
    if (encoding === RDB_ENC_LZF) {
      this.pos = start + 1
      const compressed = this.length(`the compressed length of ${what}`)
      const length = this.length(`the length of ${what}`)
      this.#checkSize(compressed, this.base + start, what)
      this.#checkSize(length, this.base + start, what)
      this.skip(compressed)
      return
    }
    this.#integer(encoding, what)
  }

  // The first byte of every string (rdbGenericLoadStringObject): a length, the bytes following, or
  // 11xxxxxx, an encoding (LZF or an integer). Returns the length of a plain string, checked against
  // maxValueBytes and with `pos` after it, or ENCODED with `pos` still on the encoding byte.
  #plainLength(what: string): number {
    const start = this.pos
    if (start >= this.end) {
      this.need = this.base + start + 1
      throw NEED_MORE
    }
    if (this.buf[start]! >> 6 === 3) return ENCODED
    const n = this.length(what)
    this.#checkSize(n, this.base + start, what)
    return n
  }

  #integer(encoding: number, what: string): number {
    const start = this.pos
    const b = this.buf
    if (encoding === RDB_ENC_INT8) {
      this.ensure(2)
      this.pos = start + 2
      return (b[start + 1]! << 24) >> 24
    }
    if (encoding === RDB_ENC_INT16) {
      this.ensure(3)
      this.pos = start + 3
      return ((b[start + 1]! | (b[start + 2]! << 8)) << 16) >> 16
    }
    if (encoding === RDB_ENC_INT32) {
      this.ensure(5)
      this.pos = start + 5
      return b[start + 1]! | (b[start + 2]! << 8) | (b[start + 3]! << 16) | (b[start + 4]! << 24)
    }
    throw corrupt(this.base + start, `unknown string encoding ${hex(b[start]!)} for ${what} (expected 0xc0-0xc3)`)
  }

  // rdbLoadLzfStringObject: 0xC3 <compressed length> <length> <compressed bytes>. Decompresses
  // into the scratch buffer and returns the length.
  #lzf(what: string): number {
    const start = this.pos
    this.pos = start + 1
    const compressed = this.length(`the compressed length of ${what}`)
    const length = this.length(`the length of ${what}`)
    this.#checkSize(compressed, this.base + start, `${what} (compressed)`)
    this.#checkSize(length, this.base + start, what)
    // No LZF sequence expands more than 264 bytes out of 3 in, so a larger stated length is a
    // corrupt header: refuse it before allocating for it.
    if (length > compressed * LZF_MAX_EXPANSION + 32) {
      throw corrupt(this.base + start, `the LZF-compressed ${what} claims ${length} bytes from ${compressed} compressed bytes, more than LZF can expand to`)
    }
    this.ensure(compressed)
    const from = this.pos
    if (this.#scratch.length < length) {
      this.#scratch = new Uint8Array(Math.max(length, this.#scratch.length * 2))
      this.#scratchLatin1 = null
    }
    if (this.#scratchLatin1 === null && NodeBuffer !== undefined) {
      this.#scratchLatin1 = NodeBuffer.from(this.#scratch.buffer, this.#scratch.byteOffset, this.#scratch.length)
    }
    const written = lzfDecompress(this.buf, from, from + compressed, this.#scratch, length)
    if (written !== length) {
      const why = written === LZF_OUTPUT_OVERFLOW ? 'decompresses to more bytes than' : written < 0 ? 'is invalid, for' : `decompresses to ${written} bytes, not`
      throw corrupt(this.base + start, `the LZF-compressed ${what} ${why} its stated length ${length} (Invalid LZF compressed string)`)
    }
    this.pos = from + compressed
    return length
  }
}
