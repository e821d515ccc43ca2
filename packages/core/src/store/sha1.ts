// SHA-1 (FIPS 180-4), for DEBUG DIGEST compatibility only: Redis's digest is built from SHA-1, so we
// need the same function, not a secure one. Pure and synchronous (WebCrypto's digest is async and
// would force the dataset API to be async). Digests hash millions of short strings, so the input is
// copied into a reused buffer and processed a 64-byte block at a time without allocating.
import type { ByteString } from '../bytes.ts'

const W = new Int32Array(80)
let buffer = new Uint8Array(1024)

function ensure(length: number): Uint8Array {
  // Room for the message, the 0x80 byte, padding and the 8-byte length.
  const needed = Math.ceil((length + 9) / 64) * 64
  if (buffer.length < needed) {
    let size = buffer.length
    while (size < needed) size *= 2
    buffer = new Uint8Array(size)
  }
  return buffer
}

/** Hashes the first `length` bytes of `buffer` (which must have padding room) into `out`. */
function digestBuffer(data: Uint8Array, length: number, out: Uint8Array): Uint8Array {
  const total = Math.ceil((length + 9) / 64) * 64
  data[length] = 0x80
  data.fill(0, length + 1, total - 8)
  const bitsHi = Math.floor(length / 0x20000000)
  const bitsLo = (length * 8) >>> 0
  data[total - 8] = bitsHi >>> 24
  data[total - 7] = (bitsHi >>> 16) & 0xff
  data[total - 6] = (bitsHi >>> 8) & 0xff
  data[total - 5] = bitsHi & 0xff
  data[total - 4] = bitsLo >>> 24
  data[total - 3] = (bitsLo >>> 16) & 0xff
  data[total - 2] = (bitsLo >>> 8) & 0xff
  data[total - 1] = bitsLo & 0xff

  let h0 = 0x67452301
  let h1 = 0xefcdab89 | 0
  let h2 = 0x98badcfe | 0
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0 | 0
  const w = W
  for (let block = 0; block < total; block += 64) {
    for (let t = 0, i = block; t < 16; t++, i += 4) {
      w[t] = (data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!
    }
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!
      w[t] = (x << 1) | (x >>> 31)
    }
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    let t = 0
    for (; t < 20; t++) {
      const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[t]!) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = temp
    }
    for (; t < 40; t++) {
      const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = temp
    }
    for (; t < 60; t++) {
      const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + w[t]!) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = temp
    }
    for (; t < 80; t++) {
      const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + w[t]!) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = temp
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
  }
  writeWord(out, 0, h0)
  writeWord(out, 4, h1)
  writeWord(out, 8, h2)
  writeWord(out, 12, h3)
  writeWord(out, 16, h4)
  return out
}

function writeWord(out: Uint8Array, at: number, word: number): void {
  out[at] = word >>> 24
  out[at + 1] = (word >>> 16) & 0xff
  out[at + 2] = (word >>> 8) & 0xff
  out[at + 3] = word & 0xff
}

/** SHA-1 of bytes, into `out` (a new 20-byte array when omitted; `out` may be `bytes` itself). */
export function sha1Bytes(bytes: Uint8Array, out: Uint8Array = new Uint8Array(20)): Uint8Array {
  const data = ensure(bytes.length)
  data.set(bytes)
  return digestBuffer(data, bytes.length, out)
}

/** SHA-1 of a ByteString's bytes. */
export function sha1ByteString(s: ByteString, out: Uint8Array = new Uint8Array(20)): Uint8Array {
  const length = s.length
  const data = ensure(length)
  for (let i = 0; i < length; i++) data[i] = s.charCodeAt(i)
  return digestBuffer(data, length, out)
}

export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const b of bytes) hex += b.toString(16).padStart(2, '0')
  return hex
}
