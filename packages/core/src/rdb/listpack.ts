// Listpack decoding (listpack.c), the blob inside types 16, 17, 20, 25 and quicklist-2 nodes.
//
//   <total_bytes u32 LE> <num_elements u16 LE, 65535 = unknown> <entry>… 0xFF
//   entry = <encoding+data> <backlen: size of encoding+data, 1-5 bytes, readable right to left>
//
// Every entry is checked the way lpValidateIntegrity(deep) checks it — bounds, backlen, count,
// terminator — so a corrupt blob gives a typed error and never a wrong read.
import { bytesToByteString, type ByteString } from '../bytes.ts'
import { RdbLimitError } from './errors.ts'
import { corrupt, hex } from './input.ts'

/** One decoded entry: a byte string, or an integer (a decimal string when beyond ±2^53). */
export type PackedEntry = ByteString | number

const LP_HEADER_SIZE = 6
const LP_EOF = 0xff
const LP_COUNT_UNKNOWN = 65535

/** Bytes lpEncodeBacklen uses for an entry of `length` bytes. */
function backlenSize(length: number): number {
  if (length <= 127) return 1
  if (length < 16383) return 2
  if (length < 2097151) return 3
  if (length < 268435455) return 4
  return 5
}

/**
 * Decodes every entry of a listpack. `offset` is where the blob's string starts in the file, for
 * messages; `what` names the value ("hash listpack"). More than `maxEntries` entries is an
 * RdbLimitError (maxCollectionLength), raised before the array grows past it.
 */
export function decodeListpack(blob: Uint8Array, offset: number, what: string, maxEntries = Infinity): PackedEntry[] {
  const size = blob.length
  const fail = (at: number, detail: string): Error =>
    corrupt(offset, `${what}: ${detail} at position ${at} of the ${size}-byte listpack (Listpack integrity check failed)`)
  if (size < LP_HEADER_SIZE + 1) throw fail(0, 'too short for a header and terminator')
  const totalBytes = (blob[0]! | (blob[1]! << 8) | (blob[2]! << 16) | (blob[3]! << 24)) >>> 0
  if (totalBytes !== size) throw fail(0, `header says ${totalBytes} bytes`)
  const declared = blob[4]! | (blob[5]! << 8)
  if (blob[size - 1] !== LP_EOF) throw fail(size - 1, 'missing 0xFF terminator')
  if (declared !== LP_COUNT_UNKNOWN) checkEntries(declared, maxEntries, offset)

  const entries: PackedEntry[] = []
  const last = size - 1 // index of the terminator
  let p = LP_HEADER_SIZE
  while (p < last) {
    if (entries.length >= maxEntries) checkEntries(entries.length + 1, maxEntries, offset)
    const start = p
    const b = blob[p]!
    let value: PackedEntry
    if ((b & 0x80) === 0) {
      value = b & 0x7f // 7-bit unsigned
      p += 1
    } else if ((b & 0xc0) === 0x80) {
      const n = b & 0x3f // 6-bit string length
      p += 1
      if (p + n > last) throw fail(start, `string of ${n} bytes overruns the listpack`)
      value = bytesToByteString(blob, p, p + n)
      p += n
    } else if ((b & 0xe0) === 0xc0) {
      if (p + 2 > last) throw fail(start, 'truncated 13-bit integer')
      const u = ((b & 0x1f) << 8) | blob[p + 1]!
      value = u >= 4096 ? u - 8192 : u
      p += 2
    } else if ((b & 0xf0) === 0xe0) {
      if (p + 2 > last) throw fail(start, 'truncated 12-bit string length')
      const n = ((b & 0x0f) << 8) | blob[p + 1]!
      p += 2
      if (p + n > last) throw fail(start, `string of ${n} bytes overruns the listpack`)
      value = bytesToByteString(blob, p, p + n)
      p += n
    } else if (b === 0xf0) {
      if (p + 5 > last) throw fail(start, 'truncated 32-bit string length')
      const n = (blob[p + 1]! | (blob[p + 2]! << 8) | (blob[p + 3]! << 16) | (blob[p + 4]! << 24)) >>> 0
      p += 5
      if (p + n > last) throw fail(start, `string of ${n} bytes overruns the listpack`)
      value = bytesToByteString(blob, p, p + n)
      p += n
    } else if (b === 0xf1) {
      if (p + 3 > last) throw fail(start, 'truncated 16-bit integer')
      value = ((blob[p + 1]! | (blob[p + 2]! << 8)) << 16) >> 16
      p += 3
    } else if (b === 0xf2) {
      if (p + 4 > last) throw fail(start, 'truncated 24-bit integer')
      value = ((blob[p + 1]! | (blob[p + 2]! << 8) | (blob[p + 3]! << 16)) << 8) >> 8
      p += 4
    } else if (b === 0xf3) {
      if (p + 5 > last) throw fail(start, 'truncated 32-bit integer')
      value = blob[p + 1]! | (blob[p + 2]! << 8) | (blob[p + 3]! << 16) | (blob[p + 4]! << 24)
      p += 5
    } else if (b === 0xf4) {
      if (p + 9 > last) throw fail(start, 'truncated 64-bit integer')
      value = readInt64LE(blob, p + 1)
      p += 9
    } else {
      throw fail(start, `invalid entry encoding ${hex(b)}`)
    }
    const entryLength = p - start
    const backlen = backlenSize(entryLength)
    if (p + backlen > last) throw fail(start, 'entry backlen overruns the listpack')
    // lpEncodeBacklen writes the high 7-bit groups first; every byte but the first has bit 7 set.
    for (let i = 0; i < backlen; i++) {
      const shift = 7 * (backlen - 1 - i)
      const expected = (Math.floor(entryLength / 2 ** shift) & 0x7f) | (i === 0 ? 0 : 0x80)
      if (blob[p + i] !== expected) throw fail(p, `backlen does not match the entry size ${entryLength}`)
    }
    p += backlen
    entries.push(value)
  }
  if (declared !== LP_COUNT_UNKNOWN && declared !== entries.length) {
    throw fail(4, `header says ${declared} entries, found ${entries.length}`)
  }
  return entries
}

/** Throws the maxCollectionLength error when `count` encoded entries exceed `maxEntries`. */
export function checkEntries(count: number, maxEntries: number, offset: number): void {
  if (count > maxEntries) throw new RdbLimitError('maxCollectionLength', maxEntries, count, offset, 'Encoded entries')
}

/** A signed 64-bit little-endian integer: a number when exact, else its decimal string. */
export function readInt64LE(bytes: Uint8Array, at: number): PackedEntry {
  const lo = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0
  const hi = bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)
  const value = hi * 4294967296 + lo
  if (Number.isSafeInteger(value)) return value
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString()
}
