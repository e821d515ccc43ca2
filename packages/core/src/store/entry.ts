// How the dataset holds one key's value: a tagged union of efficient structures (string, Deque for
// lists, Set, Map for hashes, SortedSet), plus the key's absolute expiry and its insertion stamp.
//
// `expireAt` is Infinity for a key without a TTL: "no expiry" then compares as an infinite TTL, which
// is also how EXPIRE GT/LT treat it. `seq` orders keys by insertion into their database's Map and
// is what snapshot cursors use to tell keys they have already visited from those they have not
// (see snapshot.ts). Every entry is built by `newEntry` so all entries share one hidden class.
import type { ByteString } from '../bytes.ts'
import type { KeyRecord, PlainValue, RedisType } from '../values.ts'
import { Deque } from './deque.ts'
import { SortedSet } from './sorted-set.ts'

interface EntryOf<T extends RedisType, V> {
  type: T
  value: V
  expireAt: number
  seq: number
}

export type StringEntry = EntryOf<'string', ByteString>
export type ListEntry = EntryOf<'list', Deque<ByteString>>
export type SetEntry = EntryOf<'set', Set<ByteString>>
export type HashEntry = EntryOf<'hash', Map<ByteString, ByteString>>
export type ZSetEntry = EntryOf<'zset', SortedSet>
export type Entry = StringEntry | ListEntry | SetEntry | HashEntry | ZSetEntry

export const NO_EXPIRY = Infinity

export function newEntry<E extends Entry>(type: E['type'], value: E['value']): E {
  return { type, value, expireAt: NO_EXPIRY, seq: 0 } as E
}

export const stringEntry = (value: ByteString): StringEntry => newEntry<StringEntry>('string', value)

/** Redis's numeric type tag (OBJ_STRING ...), used by DEBUG DIGEST. */
export const REDIS_TYPE_CODE: Readonly<Record<RedisType, number>> = Object.freeze({ string: 0, list: 1, set: 2, zset: 3, hash: 4 })

/** The neutral form of a value (a copy: later changes to the entry do not show in it). */
export function entryToPlain(entry: Entry): PlainValue {
  switch (entry.type) {
    case 'string':
      return { type: 'string', value: entry.value }
    case 'list':
      return { type: 'list', items: entry.value.toArray() }
    case 'set':
      return { type: 'set', members: [...entry.value] }
    case 'hash':
      return { type: 'hash', fields: [...entry.value] }
    case 'zset':
      return { type: 'zset', entries: [...entry.value.entries()] }
  }
}

export function plainToEntry(value: PlainValue): Entry {
  switch (value.type) {
    case 'string':
      return stringEntry(value.value)
    case 'list':
      return newEntry<ListEntry>('list', Deque.from(value.items))
    case 'set':
      return newEntry<SetEntry>('set', new Set(value.members))
    case 'hash':
      return newEntry<HashEntry>('hash', new Map(value.fields))
    case 'zset':
      return newEntry<ZSetEntry>('zset', SortedSet.fromEntries(value.entries))
  }
}

export function entryToRecord(db: number, key: ByteString, entry: Entry): KeyRecord {
  return { db, key, value: entryToPlain(entry), expireAt: entry.expireAt === NO_EXPIRY ? null : entry.expireAt }
}

/** Number of elements (1 for a string), for empty-collection checks. */
export function entrySize(entry: Entry): number {
  switch (entry.type) {
    case 'string':
      return 1
    case 'list':
      return entry.value.length
    case 'zset':
    case 'set':
    case 'hash':
      return entry.value.size
  }
}
