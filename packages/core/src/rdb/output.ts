// The output buffer of the RDB writer, with the format's primitives: lengths (rdbSaveLen),
// strings (rdbSaveRawString: integer encoding, then LZF, then plain), little-endian numbers.
// It grows by doubling and hands out what was written with `take()`.
//
// Deliberately left out: the CRC (writer.ts runs it over what is taken) and anything about keys.
import { writeByteString, type ByteString } from '../bytes.ts'
import { lzfCompress } from './lzf.ts'
import {
  RDB_32BITLEN, RDB_64BITLEN, RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_INT8, RDB_ENC_LZF, RDB_INT_ENCODING_MAX_CHARS,
  RDB_LZF_MIN_CHARS, RDB_LZF_MIN_SAVING,
} from './opcodes.ts'

interface NodeLatin1Writer {
  latin1Write(s: string, offset: number, length: number): number
}
interface NodeBufferStatic {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): NodeLatin1Writer
}
// Node's Buffer#latin1Write copies a one-byte string natively, about 3× faster than a charCodeAt
// loop for 100-byte values; below ~32 chars the loop wins (measured, Node 20). Browsers use the loop.
const NodeBuffer: NodeBufferStatic | undefined = (() => {
  const B = (globalThis as unknown as { Buffer?: NodeBufferStatic & { prototype?: Partial<NodeLatin1Writer> } }).Buffer
  return B !== undefined && typeof B.prototype?.latin1Write === 'function' ? B : undefined
})()
const NATIVE_COPY_MIN_CHARS = 32

const EMPTY = new Uint8Array(0)
const ENCVAL = 0xc0
// Doubles are converted through one shared 8-byte buffer (little-endian on every platform JS runs
// on that Redis supports; the DataView makes the byte order explicit).
const DOUBLE_VIEW = new DataView(new ArrayBuffer(8))
const TWO_32 = 4294967296
const INT_LIKE = /^(?:0|-?[1-9][0-9]*)$/

/**
 * The integer Redis would store for `s` (rdbTryIntegerEncoding): only strings of at most 11 chars
 * that string2ll accepts exactly ("0", "-1", not "007", "+1", "-0", " 1") and that fit in int32.
 */
export function integerEncodingOf(s: ByteString): number | null {
  const n = s.length
  if (n === 0 || n > RDB_INT_ENCODING_MAX_CHARS) return null
  const c = s.charCodeAt(0)
  if (c !== 0x2d && (c < 0x30 || c > 0x39)) return null
  if (!INT_LIKE.test(s)) return null
  const value = Number(s)
  return value >= -2147483648 && value <= 2147483647 ? value : null
}

export class RdbOutput {
  buf: Uint8Array
  length = 0
  #native: NodeLatin1Writer | null = null
  // Allocated on first use: many outputs (one per stored record) never compress.
  #scratch = EMPTY
  #scratchNative: NodeLatin1Writer | null = null
  #compressed = EMPTY

  constructor(initialCapacity = 64 * 1024) {
    this.buf = new Uint8Array(initialCapacity)
    this.#bind()
  }

  #bind(): void {
    this.#native = NodeBuffer !== undefined ? NodeBuffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.length) : null
  }

  reserve(extra: number): void {
    const needed = this.length + extra
    if (needed <= this.buf.length) return
    let capacity = this.buf.length * 2
    while (capacity < needed) capacity *= 2
    const grown = new Uint8Array(capacity)
    grown.set(this.buf.subarray(0, this.length))
    this.buf = grown
    this.#bind()
  }

  /**
   * The bytes written since the last take (a copy), and starts over. With `headroomBytes`, the copy
   * is a view that many bytes into a buffer of its own, so the caller can put a header before it
   * without copying it again.
   */
  take(headroomBytes = 0): Uint8Array {
    const out = new Uint8Array(headroomBytes + this.length)
    out.set(this.buf.subarray(0, this.length), headroomBytes)
    this.length = 0
    return headroomBytes === 0 ? out : out.subarray(headroomBytes)
  }

  byte(value: number): void {
    this.reserve(1)
    this.buf[this.length++] = value
  }

  bytes(source: Uint8Array, start = 0, end = source.length): void {
    this.reserve(end - start)
    this.buf.set(source.subarray(start, end), this.length)
    this.length += end - start
  }

  /** Appends a ByteString one byte per char (no length). */
  latin1(s: ByteString): void {
    const n = s.length
    this.reserve(n)
    if (n >= NATIVE_COPY_MIN_CHARS && this.#native !== null) this.#native.latin1Write(s, this.length, n)
    else writeByteString(this.buf, this.length, s)
    this.length += n
  }

  /** rdbSaveLen: the shortest of the 6-bit, 14-bit, 32-bit and 64-bit forms. */
  len(n: number): void {
    this.reserve(9)
    const b = this.buf
    let p = this.length
    if (n < 1 << 6) {
      b[p++] = n
    } else if (n < 1 << 14) {
      b[p++] = (n >>> 8) | 0x40
      b[p++] = n & 0xff
    } else if (n <= 0xffffffff) {
      b[p++] = RDB_32BITLEN
      b[p++] = n >>> 24
      b[p++] = (n >>> 16) & 0xff
      b[p++] = (n >>> 8) & 0xff
      b[p++] = n & 0xff
    } else {
      const hi = Math.floor(n / TWO_32)
      const lo = n - hi * TWO_32
      b[p++] = RDB_64BITLEN
      b[p++] = hi >>> 24
      b[p++] = (hi >>> 16) & 0xff
      b[p++] = (hi >>> 8) & 0xff
      b[p++] = hi & 0xff
      b[p++] = lo >>> 24
      b[p++] = (lo >>> 16) & 0xff
      b[p++] = (lo >>> 8) & 0xff
      b[p++] = lo & 0xff
    }
    this.length = p
  }

  /** A signed 64-bit little-endian integer from a safe-integer number (expiry milliseconds). */
  i64le(value: number): void {
    this.reserve(8)
    const hi = Math.floor(value / TWO_32)
    const lo = value - hi * TWO_32
    const b = this.buf
    const p = this.length
    b[p] = lo & 0xff
    b[p + 1] = (lo >>> 8) & 0xff
    b[p + 2] = (lo >>> 16) & 0xff
    b[p + 3] = (lo >>> 24) & 0xff
    b[p + 4] = hi & 0xff
    b[p + 5] = (hi >>> 8) & 0xff
    b[p + 6] = (hi >>> 16) & 0xff
    b[p + 7] = (hi >>> 24) & 0xff
    this.length = p + 8
  }

  /** An IEEE-754 double, little-endian (rdbSaveBinaryDoubleValue). */
  f64le(value: number): void {
    this.reserve(8)
    DOUBLE_VIEW.setFloat64(0, value, true)
    const b = this.buf
    const p = this.length
    for (let i = 0; i < 8; i++) b[p + i] = DOUBLE_VIEW.getUint8(i)
    this.length = p + 8
  }

  /** rdbSaveRawString: an integer encoding when exact, else LZF when asked and worth it, else plain. */
  string(s: ByteString, compress: boolean): void {
    const n = s.length
    if (n <= RDB_INT_ENCODING_MAX_CHARS) {
      const int = integerEncodingOf(s)
      if (int !== null) {
        this.#integer(int)
        return
      }
    }
    if (compress && n > RDB_LZF_MIN_CHARS) {
      this.#lzf(s)
      return
    }
    this.len(n)
    this.latin1(s)
  }

  // rdbEncodeInteger: 0xC0 int8, 0xC1 int16 LE, 0xC2 int32 LE.
  #integer(value: number): void {
    this.reserve(5)
    const b = this.buf
    let p = this.length
    if (value >= -128 && value <= 127) {
      b[p++] = ENCVAL | RDB_ENC_INT8
      b[p++] = value & 0xff
    } else if (value >= -32768 && value <= 32767) {
      b[p++] = ENCVAL | RDB_ENC_INT16
      b[p++] = value & 0xff
      b[p++] = (value >>> 8) & 0xff
    } else {
      b[p++] = ENCVAL | RDB_ENC_INT32
      b[p++] = value & 0xff
      b[p++] = (value >>> 8) & 0xff
      b[p++] = (value >>> 16) & 0xff
      b[p++] = (value >>> 24) & 0xff
    }
    this.length = p
  }

  // rdbSaveLzfStringObject: compress into at most n - 4 bytes, else store the string plainly.
  #lzf(s: ByteString): void {
    const n = s.length
    if (this.#scratch.length < n) {
      this.#scratch = new Uint8Array(Math.max(n, 256, this.#scratch.length * 2))
      this.#scratchNative = null
    }
    if (this.#compressed.length < n + 16) this.#compressed = new Uint8Array(Math.max(n + 16, 256, this.#compressed.length * 2))
    const src = this.#scratch
    if (n >= NATIVE_COPY_MIN_CHARS && NodeBuffer !== undefined) {
      this.#scratchNative ??= NodeBuffer.from(src.buffer, src.byteOffset, src.length)
      this.#scratchNative.latin1Write(s, 0, n)
    } else {
      writeByteString(src, 0, s)
    }
    const compressedLength = lzfCompress(src, 0, n, this.#compressed, 0, n - RDB_LZF_MIN_SAVING)
    if (compressedLength === 0) {
      this.len(n)
      this.bytes(src, 0, n)
      return
    }
    this.byte(ENCVAL | RDB_ENC_LZF)
    this.len(compressedLength)
    this.len(n)
    this.bytes(this.#compressed, 0, compressedLength)
  }
}
