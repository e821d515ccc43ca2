// Ziplist decoding (ziplist.c), the blob inside legacy types 10, 12, 13 and quicklist-1 nodes
// (Redis ≤ 6.2 wrote them; 7.x still loads them by converting to listpacks).
//
//   <zlbytes u32 LE> <zltail u32 LE> <zllen u16 LE, 65535 = unknown> <entry>… 0xFF
//   entry = <prevlen: 1 byte < 254, or 0xFE + u32 LE> <encoding> <data>
//
// Checked as ziplistValidateIntegrity(deep) does: bounds, each prevlen equal to the previous
// entry's size, zltail pointing at the last entry, the count, the terminator.
import { bytesToByteString } from '../bytes.ts'
import { corrupt, hex } from './input.ts'
import { checkEntries, readInt64LE, type PackedEntry } from './listpack.ts'

const ZIPLIST_HEADER_SIZE = 10
const ZIP_END = 0xff
const ZIP_BIG_PREVLEN = 0xfe
const ZIP_COUNT_UNKNOWN = 65535

export function decodeZiplist(blob: Uint8Array, offset: number, what: string, maxEntries = Infinity): PackedEntry[] {
  const size = blob.length
  const fail = (at: number, detail: string): Error =>
    corrupt(offset, `${what}: ${detail} at position ${at} of the ${size}-byte ziplist (Ziplist integrity check failed)`)
  if (size < ZIPLIST_HEADER_SIZE + 1) throw fail(0, 'too short for a header and terminator')
  const zlbytes = (blob[0]! | (blob[1]! << 8) | (blob[2]! << 16) | (blob[3]! << 24)) >>> 0
  if (zlbytes !== size) throw fail(0, `header says ${zlbytes} bytes`)
  const zltail = (blob[4]! | (blob[5]! << 8) | (blob[6]! << 16) | (blob[7]! << 24)) >>> 0
  const declared = blob[8]! | (blob[9]! << 8)
  if (blob[size - 1] !== ZIP_END) throw fail(size - 1, 'missing 0xFF terminator')
  if (declared !== ZIP_COUNT_UNKNOWN) checkEntries(declared, maxEntries, offset)

  const entries: PackedEntry[] = []
  const last = size - 1
  let p = ZIPLIST_HEADER_SIZE
  let previousSize = 0
  let lastEntry = ZIPLIST_HEADER_SIZE
  while (p < last) {
    if (entries.length >= maxEntries) checkEntries(entries.length + 1, maxEntries, offset)
    const start = p
    let prevlen = blob[p]!
    if (prevlen === ZIP_BIG_PREVLEN) {
      if (p + 5 > last) throw fail(start, 'truncated prevlen')
      prevlen = (blob[p + 1]! | (blob[p + 2]! << 8) | (blob[p + 3]! << 16) | (blob[p + 4]! << 24)) >>> 0
      p += 5
    } else {
      p += 1
    }
    if (prevlen !== previousSize) throw fail(start, `prevlen ${prevlen} differs from the previous entry's size ${previousSize}`)
    if (p >= last) throw fail(start, 'entry without an encoding')
    const encoding = blob[p]!
    let value: PackedEntry
    if (encoding < 0xc0) {
      let n: number
      const kind = encoding & 0xc0
      if (kind === 0x00) {
        n = encoding & 0x3f
        p += 1
      } else if (kind === 0x40) {
        if (p + 2 > last) throw fail(start, 'truncated 14-bit string length')
        n = ((encoding & 0x3f) << 8) | blob[p + 1]!
        p += 2
      } else {
        if (p + 5 > last) throw fail(start, 'truncated 32-bit string length')
        n = ((blob[p + 1]! << 24) | (blob[p + 2]! << 16) | (blob[p + 3]! << 8) | blob[p + 4]!) >>> 0
        p += 5
      }
      if (p + n > last) throw fail(start, `string of ${n} bytes overruns the ziplist`)
      value = bytesToByteString(blob, p, p + n)
      p += n
    } else {
      let width: number
      switch (encoding) {
        case 0xc0: width = 2; break
        case 0xd0: width = 4; break
        case 0xe0: width = 8; break
        case 0xf0: width = 3; break
        case 0xfe: width = 1; break
        default:
          if (encoding >= 0xf1 && encoding <= 0xfd) width = 0
          else throw fail(p, `invalid entry encoding ${hex(encoding)}`)
      }
      if (p + 1 + width > last) throw fail(start, 'truncated integer')
      const d = p + 1
      if (width === 0) value = (encoding & 0x0f) - 1
      else if (width === 1) value = (blob[d]! << 24) >> 24
      else if (width === 2) value = ((blob[d]! | (blob[d + 1]! << 8)) << 16) >> 16
      else if (width === 3) value = ((blob[d]! | (blob[d + 1]! << 8) | (blob[d + 2]! << 16)) << 8) >> 8
      else if (width === 4) value = blob[d]! | (blob[d + 1]! << 8) | (blob[d + 2]! << 16) | (blob[d + 3]! << 24)
      else value = readInt64LE(blob, d)
      p = d + width
    }
    previousSize = p - start
    lastEntry = start
    entries.push(value)
  }
  if (zltail !== lastEntry) throw fail(4, `zltail ${zltail} does not point at the last entry (${lastEntry})`)
  if (declared !== ZIP_COUNT_UNKNOWN && declared !== entries.length) {
    throw fail(8, `header says ${declared} entries, found ${entries.length}`)
  }
  return entries
}
