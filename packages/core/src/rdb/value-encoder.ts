// Encoding of one value as the RDB types Redis 7.x loads most simply and every version since 2.x
// understands (REDIS.md §8.5): 0 string, 1 list, 2 set, 4 hash, 5 zset with binary scores. Redis
// converts them to its compact encodings on load, so nothing is lost by writing the plain forms.
//
// Deliberately left out: listpack/intset output. They would save bytes on the wire but tie the
// writer to Redis's per-version thresholds (`hash-max-listpack-entries`…).
import type { PlainValue } from '../values.ts'
import { RDB_ERROR_CODES, RdbWriteError } from './errors.ts'
import type { RdbOutput } from './output.ts'
import { RDB_TYPE_HASH, RDB_TYPE_LIST, RDB_TYPE_SET, RDB_TYPE_STRING, RDB_TYPE_ZSET_2 } from './opcodes.ts'

/** The RDB type byte the writer uses for a value. */
export function rdbTypeOf(value: PlainValue): number {
  switch (value.type) {
    case 'string': return RDB_TYPE_STRING
    case 'list': return RDB_TYPE_LIST
    case 'set': return RDB_TYPE_SET
    case 'hash': return RDB_TYPE_HASH
    case 'zset': return RDB_TYPE_ZSET_2
    default:
      throw new RdbWriteError(RDB_ERROR_CODES.invalidRecord, `Unknown value type ${JSON.stringify((value as { type: unknown }).type)}; expected string, list, set, hash or zset.`)
  }
}

/** True for a collection without elements: Redis never stores those, and must not be sent them. */
export function isEmptyValue(value: PlainValue): boolean {
  switch (value.type) {
    case 'string': return false
    case 'list': return value.items.length === 0
    case 'set': return value.members.length === 0
    case 'hash': return value.fields.length === 0
    case 'zset': return value.entries.length === 0
  }
}

/**
 * Checks what Redis would refuse to load before any byte is written, so that a bad record never
 * leaves half a key in the output: NaN scores ("Zset with NAN score detected").
 */
export function validateValue(value: PlainValue, describe: () => string): void {
  rdbTypeOf(value)
  if (value.type !== 'zset') return
  for (const [, score] of value.entries) {
    if (typeof score !== 'number' || Number.isNaN(score)) {
      throw new RdbWriteError(RDB_ERROR_CODES.invalidRecord, `${describe()} has a NaN score, which Redis refuses to load (Zset with NAN score detected).`)
    }
  }
}

/** Writes the payload of `value` (what follows the type byte and the key). */
export function writeValuePayload(out: RdbOutput, value: PlainValue, compress: boolean): void {
  switch (value.type) {
    case 'string':
      out.string(value.value, compress)
      return
    case 'list':
      out.len(value.items.length)
      for (const item of value.items) out.string(item, compress)
      return
    case 'set':
      out.len(value.members.length)
      for (const member of value.members) out.string(member, compress)
      return
    case 'hash':
      out.len(value.fields.length)
      for (const [field, v] of value.fields) {
        out.string(field, compress)
        out.string(v, compress)
      }
      return
    case 'zset':
      out.len(value.entries.length)
      for (const [member, score] of value.entries) {
        out.string(member, compress)
        out.f64le(score)
      }
      return
  }
}
