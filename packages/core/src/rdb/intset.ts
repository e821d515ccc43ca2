// Intset decoding (intset.c), the blob of type 11 (sets of integers):
//   <encoding u32 LE: 2, 4 or 8> <length u32 LE> <length sorted signed integers of that width, LE>
// Checked as intsetValidateIntegrity(deep) does: size, encoding, strictly ascending (no duplicates).
import type { ByteString } from '../bytes.ts'
import { corrupt } from './input.ts'
import { checkEntries } from './listpack.ts'

export function decodeIntset(blob: Uint8Array, offset: number, what: string, maxEntries = Infinity): ByteString[] {
  const size = blob.length
  const fail = (detail: string): Error => corrupt(offset, `${what}: ${detail} (Intset integrity check failed)`)
  if (size < 8) throw fail(`${size} bytes is too short for an intset header`)
  const view = new DataView(blob.buffer, blob.byteOffset, size)
  const encoding = view.getUint32(0, true)
  const length = view.getUint32(4, true)
  if (encoding !== 2 && encoding !== 4 && encoding !== 8) throw fail(`invalid encoding ${encoding} (expected 2, 4 or 8)`)
  if (8 + encoding * length !== size) throw fail(`${length} integers of ${encoding} bytes do not fill ${size} bytes`)
  checkEntries(length, maxEntries, offset)
  const members: ByteString[] = new Array<ByteString>(length)
  if (encoding === 8) {
    let previous: bigint | undefined
    for (let i = 0; i < length; i++) {
      const v = view.getBigInt64(8 + 8 * i, true)
      if (previous !== undefined && v <= previous) throw fail(`integers not strictly ascending at index ${i}`)
      previous = v
      members[i] = v.toString()
    }
    return members
  }
  let previous = -Infinity
  for (let i = 0; i < length; i++) {
    const v = encoding === 2 ? view.getInt16(8 + 2 * i, true) : view.getInt32(8 + 4 * i, true)
    if (v <= previous) throw fail(`integers not strictly ascending at index ${i}`)
    previous = v
    members[i] = String(v)
  }
  return members
}
