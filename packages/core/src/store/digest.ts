// DEBUG DIGEST and DEBUG DIGEST-VALUE, byte for byte as Redis 7.0 computes them (debug.c
// computeDatasetDigest, xorObjectDigest, mixDigest, xorDigest), so tests can compare our dataset with
// a real redis-server's and a master with its replicas:
//
//   xorDigest(d, s)  d ^= SHA1(s)               (order-independent: used across keys and set members)
//   mixDigest(d, s)  d = SHA1(d ^ SHA1(s))      (order-dependent: used along lists and inside pairs)
//
//   final = 0; for each non-empty db j: mixDigest(final, be32(j));
//     for each key: d = 0; mixDigest(d, key); mixDigest(d, be32(type)); <value>;
//                   if it has a TTL: xorDigest(d, "!!expire!!")  (the time itself is not included)
//                   xorDigest(final, d)
//   <value>: string: mixDigest(value) | list: mixDigest(each element, head to tail)
//            set: xorDigest(each member) | hash: xorDigest(mix(mix(0, field), value)) per field
//            zset: xorDigest(mix(mix(0, member), "%.17g" score)) per member
// (xorDigest hashes whatever it is given, 20-byte digests included.)
// An empty dataset digests to 40 zeros.
import type { ByteString } from '../bytes.ts'
import { formatScore } from './double-format.ts'
import { NO_EXPIRY, REDIS_TYPE_CODE, type Entry } from './entry.ts'
import type { Keyspace } from './keyspace.ts'
import { sha1ByteString, sha1Bytes, toHex } from './sha1.ts'

const scratch = new Uint8Array(20)

function xorDigest(digest: Uint8Array, data: ByteString): void {
  const hash = sha1ByteString(data, scratch)
  for (let i = 0; i < 20; i++) digest[i]! ^= hash[i]!
}

/** xorDigest over a 20-byte digest: it is hashed too, like any other input. */
function xorDigestBytes(digest: Uint8Array, data: Uint8Array): void {
  const hash = sha1Bytes(data, scratch)
  for (let i = 0; i < 20; i++) digest[i]! ^= hash[i]!
}

function mixDigest(digest: Uint8Array, data: ByteString): void {
  xorDigest(digest, data)
  sha1Bytes(digest, digest)
}

function be32(n: number): ByteString {
  return String.fromCharCode((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
}

/** xorObjectDigest: mixes one value (and the presence of a TTL) into `digest`. */
export function xorObjectDigest(digest: Uint8Array, entry: Entry): void {
  mixDigest(digest, be32(REDIS_TYPE_CODE[entry.type]))
  switch (entry.type) {
    case 'string':
      mixDigest(digest, entry.value)
      break
    case 'list':
      for (const element of entry.value) mixDigest(digest, element)
      break
    case 'set':
      for (const member of entry.value) xorDigest(digest, member)
      break
    case 'hash':
      for (const [field, value] of entry.value) {
        const element = new Uint8Array(20)
        mixDigest(element, field)
        mixDigest(element, value)
        xorDigestBytes(digest, element)
      }
      break
    case 'zset':
      for (const [member, score] of entry.value.entries()) {
        const element = new Uint8Array(20)
        mixDigest(element, member)
        mixDigest(element, formatScore(score))
        xorDigestBytes(digest, element)
      }
      break
  }
  if (entry.expireAt !== NO_EXPIRY) xorDigest(digest, '!!expire!!')
}

/** computeDatasetDigest, as 40 lowercase hex characters. */
export function datasetDigest(keyspace: Keyspace): string {
  const final = new Uint8Array(20)
  for (const database of keyspace.dbs) {
    if (database.dict.size === 0) continue
    mixDigest(final, be32(database.index))
    for (const [key, entry] of database.dict) {
      const digest = new Uint8Array(20)
      mixDigest(digest, key)
      xorObjectDigest(digest, entry)
      xorDigestBytes(final, digest)
    }
  }
  return toHex(final)
}

/** DEBUG DIGEST-VALUE for one value (40 zeros for a missing key). */
export function valueDigest(entry: Entry | undefined): string {
  const digest = new Uint8Array(20)
  if (entry !== undefined) xorObjectDigest(digest, entry)
  return toHex(digest)
}
