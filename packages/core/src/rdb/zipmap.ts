// Zipmap decoding (zipmap.c), the blob of type 9: small hashes as written by Redis ≤ 2.4.
//   <zmlen: 1 byte, the pair count when < 254> (<len><field><len><free><value><free bytes>)… 0xFF
//   len = 1 byte when < 254, or 0xFE + u32 in host order (little-endian on every platform Redis ran)
// Checked as zipmapValidateIntegrity does: bounds, count, terminator at the very end, not empty.
import { bytesToByteString, type ByteString } from '../bytes.ts'
import { corrupt } from './input.ts'
import { checkEntries } from './listpack.ts'

const ZIPMAP_BIGLEN = 254
const ZIPMAP_END = 255

export function decodeZipmap(blob: Uint8Array, offset: number, what: string, maxPairs = Infinity): Array<[ByteString, ByteString]> {
  const size = blob.length
  const fail = (at: number, detail: string): Error =>
    corrupt(offset, `${what}: ${detail} at position ${at} of the ${size}-byte zipmap (Zipmap integrity check failed)`)
  if (size < 2) throw fail(0, 'too short')
  const declared = blob[0]!
  const pairs: Array<[ByteString, ByteString]> = []
  let p = 1
  const readLength = (): number => {
    if (p >= size) throw fail(p, 'truncated length')
    const b = blob[p]!
    if (b < ZIPMAP_BIGLEN) {
      p += 1
      return b
    }
    if (b === ZIPMAP_BIGLEN) {
      if (p + 5 > size) throw fail(p, 'truncated length')
      const n = (blob[p + 1]! | (blob[p + 2]! << 8) | (blob[p + 3]! << 16) | (blob[p + 4]! << 24)) >>> 0
      p += 5
      return n
    }
    throw fail(p, 'unexpected end marker')
  }
  for (;;) {
    if (p >= size) throw fail(p, 'missing 0xFF terminator')
    if (blob[p] === ZIPMAP_END) {
      p += 1
      break
    }
    if (pairs.length >= maxPairs) checkEntries(pairs.length + 1, maxPairs, offset)
    const fieldLength = readLength()
    if (p + fieldLength > size) throw fail(p, `field of ${fieldLength} bytes overruns the zipmap`)
    const field = bytesToByteString(blob, p, p + fieldLength)
    p += fieldLength
    const valueLength = readLength()
    if (p >= size) throw fail(p, 'truncated free byte')
    const free = blob[p]!
    p += 1
    if (p + valueLength + free > size) throw fail(p, `value of ${valueLength} bytes (+${free} free) overruns the zipmap`)
    pairs.push([field, bytesToByteString(blob, p, p + valueLength)])
    p += valueLength + free
  }
  if (p !== size) throw fail(p, `${size - p} bytes after the terminator`)
  if (declared < ZIPMAP_BIGLEN && declared !== pairs.length) throw fail(0, `header says ${declared} pairs, found ${pairs.length}`)
  if (pairs.length === 0) throw fail(0, 'empty zipmap')
  return pairs
}
