// Byte strings: how the core holds Redis keys and values.
//
// Redis strings are arbitrary bytes. The core keeps them as JS strings whose every char code is
// 0..255, one char per byte (latin1). V8 stores such strings one byte per char, they hash and compare
// natively as Map keys, and `__proto__` is a key like any other. Text from users is UTF-8-encoded into a
// ByteString at the API edge (`utf8ToByteString`) and decoded on the way out.
//
// Deliberately left out: any notion of text encoding inside the core; only the edges convert.

/** A string whose char codes are all 0..255: one char per byte. */
export type ByteString = string

interface NodeBufferLike {
  from(bytes: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: 'latin1'): string }
  byteLength(s: string, encoding: 'latin1'): number
}
// Node's Buffer converts latin1 several times faster than any JS loop. It is a global there, not an
// import, and the pure loops below give identical results in the browser.
const NodeBuffer = (globalThis as { Buffer?: NodeBufferLike }).Buffer

const CHUNK = 8192

/** Decodes `bytes[start, end)` into a ByteString. */
export function bytesToByteString(bytes: Uint8Array, start = 0, end = bytes.length): ByteString {
  const length = end - start
  if (length <= 0) return ''
  if (length < 48 || NodeBuffer === undefined) {
    if (length <= CHUNK) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[])
    let out = ''
    for (let i = start; i < end; i += CHUNK) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[])
    }
    return out
  }
  return NodeBuffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('latin1')
}

/** Writes `s` into `target` at `offset`; returns the offset after it. `s` must be a ByteString. */
export function writeByteString(target: Uint8Array, offset: number, s: ByteString): number {
  const length = s.length
  for (let i = 0; i < length; i++) target[offset + i] = s.charCodeAt(i)
  return offset + length
}

/** Encodes a ByteString as bytes. */
export function byteStringToBytes(s: ByteString): Uint8Array {
  const out = new Uint8Array(s.length)
  writeByteString(out, 0, s)
  return out
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8')

/** UTF-8-encodes text into a ByteString (what Redis stores when a client sends that text). */
export function utf8ToByteString(text: string): ByteString {
  // Pure ASCII is already its own UTF-8 encoding.
  if (/^[\x00-\x7f]*$/.test(text)) return text
  return bytesToByteString(utf8Encoder.encode(text))
}

/** Decodes a ByteString as UTF-8 text (invalid sequences become U+FFFD). */
export function byteStringToUtf8(s: ByteString): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s
  return utf8Decoder.decode(byteStringToBytes(s))
}

/** True when every char of `s` fits in one byte. */
export function isByteString(s: string): boolean {
  return !/[^\x00-\xff]/.test(s)
}

/** Concatenates byte arrays into one. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  let length = 0
  for (const chunk of chunks) length += chunk.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * A growable output buffer for encoders. Encoders append; `finish()` hands out the bytes written so far
 * and starts over, so one writer can produce a sequence of chunks.
 */
export class ByteWriter {
  #buffer: Uint8Array
  #length = 0

  constructor(initialCapacity = 4096) {
    this.#buffer = new Uint8Array(initialCapacity)
  }

  /** Bytes written since the last `finish()`. */
  get length(): number {
    return this.#length
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra
    if (needed <= this.#buffer.length) return
    let capacity = this.#buffer.length * 2
    while (capacity < needed) capacity *= 2
    const grown = new Uint8Array(capacity)
    grown.set(this.#buffer.subarray(0, this.#length))
    this.#buffer = grown
  }

  byte(value: number): this {
    this.#reserve(1)
    this.#buffer[this.#length++] = value
    return this
  }

  bytes(value: Uint8Array): this {
    this.#reserve(value.length)
    this.#buffer.set(value, this.#length)
    this.#length += value.length
    return this
  }

  /** Appends a ByteString (or any ASCII text) one byte per char. */
  byteString(value: ByteString): this {
    this.#reserve(value.length)
    this.#length = writeByteString(this.#buffer, this.#length, value)
    return this
  }

  u16le(value: number): this {
    this.#reserve(2)
    const b = this.#buffer
    b[this.#length++] = value & 0xff
    b[this.#length++] = (value >>> 8) & 0xff
    return this
  }

  u32le(value: number): this {
    this.#reserve(4)
    const b = this.#buffer
    b[this.#length++] = value & 0xff
    b[this.#length++] = (value >>> 8) & 0xff
    b[this.#length++] = (value >>> 16) & 0xff
    b[this.#length++] = (value >>> 24) & 0xff
    return this
  }

  u32be(value: number): this {
    this.#reserve(4)
    const b = this.#buffer
    b[this.#length++] = (value >>> 24) & 0xff
    b[this.#length++] = (value >>> 16) & 0xff
    b[this.#length++] = (value >>> 8) & 0xff
    b[this.#length++] = value & 0xff
    return this
  }

  /** Appends a 64-bit little-endian two's-complement integer. */
  i64le(value: bigint): this {
    this.#reserve(8)
    let v = BigInt.asUintN(64, value)
    for (let i = 0; i < 8; i++) {
      this.#buffer[this.#length++] = Number(v & 0xffn)
      v >>= 8n
    }
    return this
  }

  /** Returns the bytes written since the last call (a copy), and resets the writer. */
  finish(): Uint8Array {
    const out = this.#buffer.slice(0, this.#length)
    this.#length = 0
    return out
  }
}
