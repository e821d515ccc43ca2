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
  readonly prototype?: {
    readonly latin1Slice?: (this: Uint8Array, start: number, end: number) => string
    readonly latin1Write?: (this: Uint8Array, s: string, offset: number, length: number) => number
  }
}
// Node's Buffer converts latin1 several times faster than any JS loop. It is a global there, not an
// import, and the pure loops below give identical results in the browser.
const NodeBuffer = (globalThis as { Buffer?: NodeBufferLike }).Buffer

// Buffer#latin1Slice and #latin1Write take any Uint8Array as `this`, so a byte range is converted
// without first wrapping it in a Buffer (that allocation costs more than converting a short key).
// They are undocumented, so each is used only once it has proven to give the loops' result.
// Measured on Node 20 while profiling bench/replication.ts: latin1Slice ~45 ns at any length up to
// a few hundred bytes, against ~75 ns (3 bytes) to ~350 ns (100 bytes) for String.fromCharCode over a
// subarray; latin1Write overtakes the charCodeAt loop at about 24 chars.
const nativeLatin1Slice = ((): ((this: Uint8Array, start: number, end: number) => string) | null => {
  const slice = NodeBuffer?.prototype?.latin1Slice
  if (typeof slice !== 'function') return null
  try {
    return slice.call(Uint8Array.of(0x41, 0x00, 0xff, 0x42), 1, 3) === '\x00\xff' ? slice : null
  } catch {
    return null
  }
})()
const nativeLatin1Write = ((): ((this: Uint8Array, s: string, offset: number, length: number) => number) | null => {
  const write = NodeBuffer?.prototype?.latin1Write
  if (typeof write !== 'function') return null
  try {
    const probe = new Uint8Array(4)
    return write.call(probe, '\x00\xffA', 1, 3) === 3 && probe[1] === 0 && probe[2] === 0xff && probe[3] === 0x41 ? write : null
  } catch {
    return null
  }
})()

const CHUNK = 8192
// Below these lengths the JS loops beat a call into Node (see above).
const NATIVE_SLICE_MIN_BYTES = 6
const NATIVE_WRITE_MIN_CHARS = 24

/** Decodes `bytes[start, end)` into a ByteString. */
export function bytesToByteString(bytes: Uint8Array, start = 0, end = bytes.length): ByteString {
  if (end > bytes.length) end = bytes.length
  const length = end - start
  if (length <= 0) return ''
  if (length < NATIVE_SLICE_MIN_BYTES) {
    // Strings this short are built flat by V8 (no rope), and faster than any call.
    let s = ''
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!)
    return s
  }
  if (nativeLatin1Slice !== null) return nativeLatin1Slice.call(bytes, start, end)
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

/**
 * Writes `s` into `target` at `offset`; returns the offset after it. `s` must be a ByteString, and
 * `target` must have room for it.
 */
export function writeByteString(target: Uint8Array, offset: number, s: ByteString): number {
  const length = s.length
  if (length >= NATIVE_WRITE_MIN_CHARS && nativeLatin1Write !== null && offset + length <= target.length) {
    return offset + nativeLatin1Write.call(target, s, offset, length)
  }
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

  /**
   * Makes room for `extra` more bytes and returns the buffer to write them into, from index
   * `length` on; then call `advance(extra)`. For encoders that know their size up front: one
   * capacity check instead of one per byte. The buffer is valid only until the next write.
   */
  room(extra: number): Uint8Array {
    this.#reserve(extra)
    return this.#buffer
  }

  /** Counts `n` bytes written directly into the buffer `room` returned. */
  advance(n: number): void {
    this.#length += n
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

  /** Appends a non-negative safe integer in decimal, without making a string of it. */
  decimal(value: number): this {
    if (value < 10) return this.byte(48 + value)
    let digits = 2
    for (let rest = Math.floor(value / 100); rest > 0; rest = Math.floor(rest / 10)) digits++
    this.#reserve(digits)
    const b = this.#buffer
    let at = this.#length + digits
    this.#length = at
    for (let rest = value; rest > 0; rest = Math.floor(rest / 10)) b[--at] = 48 + (rest % 10)
    return this
  }

  /**
   * The bytes written since the last `finish()` or `reset()`, as a view into the writer's buffer:
   * valid only until the next write. For callers that copy them at once (no allocation).
   */
  view(): Uint8Array {
    return this.#buffer.subarray(0, this.#length)
  }

  /** Discards the bytes written (after `view()`), keeping the buffer. */
  reset(): void {
    this.#length = 0
  }

  /** Returns the bytes written since the last call (a copy), and resets the writer. */
  finish(): Uint8Array {
    const out = this.#buffer.slice(0, this.#length)
    this.#length = 0
    return out
  }
}
