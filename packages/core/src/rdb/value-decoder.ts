// Decoding of one RDB value (everything after the type byte and the key) into a PlainValue, for
// every encoding Redis 2.4 to 7.4 writes for strings, lists, sets, sorted sets and hashes, plus
// skipping of modules and streams. Collections are decoded element by element with a commit after
// each (see input.ts), so a decoder can be resumed when its input arrives in pieces: all state
// changes happen together with a commit, never between two reads of one element.
//
// Checks follow rdbLoadObject (rdb.c): duplicate set members, hash fields and zset members are
// corrupt, NaN scores are corrupt, quicklist containers must be PLAIN or PACKED. Empty collections
// decode as empty values; the reader decides to skip them, as Redis does.
import { bytesToByteString, type ByteString } from '../bytes.ts'
import type { PlainValue } from '../values.ts'
import { RDB_ERROR_CODES, RDB_WARNING_CODES, RdbError, RdbLimitError, type RdbWarningCode } from './errors.ts'
import { corrupt, type Input } from './input.ts'
import { decodeIntset } from './intset.ts'
import { decodeListpack, type PackedEntry } from './listpack.ts'
import * as T from './opcodes.ts'
import { SeenSet } from './seen-set.ts'
import { ModuleSkipper, StreamSkipper } from './skip.ts'
import { decodeZiplist } from './ziplist.ts'
import { decodeZipmap } from './zipmap.ts'

/** Returned instead of a value for data that was walked over (modules, streams). */
export const SKIPPED: { readonly skipped: true } = Object.freeze({ skipped: true })
export type DecodeResult = PlainValue | typeof SKIPPED

/** What a decoder needs from its caller. */
export interface DecodeContext {
  readonly maxCollectionLength: number
  /** Reports a warning about the value being decoded. */
  warn(code: RdbWarningCode, message: string): void
}

/** True for the type bytes a value can have (rdbIsObjectType, Redis 7.4). */
export function isValueType(type: number): boolean {
  return (type >= 0 && type <= 7) || (type >= 9 && type <= 25)
}

/**
 * Parses a zset score stored as text (type 3, and string entries of ziplists and listpacks), as
 * strtod does for what Redis writes: decimal numbers, exponents, `inf`/`-inf`. NaN when invalid.
 */
export function parseScore(text: string): number {
  const t = text.trim().toLowerCase()
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity
  if (t === '-inf' || t === '-infinity') return -Infinity
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return NaN
  return Number(t)
}

const entryToString = (e: PackedEntry): ByteString => (typeof e === 'number' ? String(e) : e)

export class ValueDecoder {
  readonly type: number
  /** Absolute offset of the value (after the key), for messages. */
  readonly offset: number
  readonly #context: DecodeContext
  #started = false
  #remaining = 0
  #ttls = 0
  #items: ByteString[] = []
  #fields: Array<readonly [ByteString, ByteString]> = []
  #entries: Array<readonly [ByteString, number]> = []
  #seen: SeenSet<ByteString> | null = null
  #skipper: ModuleSkipper | StreamSkipper | null = null

  constructor(type: number, offset: number, context: DecodeContext) {
    this.type = type
    this.offset = offset
    this.#context = context
  }

  // Encoded blobs count entries, not elements (a hash listpack holds two per field): the limit
  // bounds the array the entries are decoded into.
  get #max(): number {
    return this.#context.maxCollectionLength
  }

  /** Decodes as much as `input` holds; throws NEED_MORE (after committing progress) when it runs out. */
  step(input: Input): DecodeResult {
    switch (this.type) {
      case T.RDB_TYPE_STRING:
        return { type: 'string', value: input.string('a string value') }
      case T.RDB_TYPE_LIST:
        return this.#plainList(input)
      case T.RDB_TYPE_SET:
        return this.#plainSet(input)
      case T.RDB_TYPE_ZSET:
      case T.RDB_TYPE_ZSET_2:
        return this.#plainZset(input)
      case T.RDB_TYPE_HASH:
        return this.#plainHash(input)
      case T.RDB_TYPE_HASH_ZIPMAP: {
        const at = input.offset
        const pairs = decodeZipmap(input.blob('a zipmap'), at, 'hash zipmap', this.#max)
        return this.#hashFromPairs(pairs, at)
      }
      case T.RDB_TYPE_LIST_ZIPLIST: {
        const at = input.offset
        const entries = decodeZiplist(input.blob('a ziplist'), at, 'list ziplist', this.#max)
        return { type: 'list', items: this.#limit(entries.map(entryToString), at) }
      }
      case T.RDB_TYPE_SET_INTSET: {
        const at = input.offset
        return { type: 'set', members: this.#limit(decodeIntset(input.blob('an intset'), at, 'set intset', this.#max), at) }
      }
      case T.RDB_TYPE_SET_LISTPACK: {
        const at = input.offset
        const members = this.#limit(decodeListpack(input.blob('a listpack'), at, 'set listpack', this.#max).map(entryToString), at)
        const seen = new SeenSet<ByteString>()
        for (const member of members) {
          if (!seen.add(member)) throw corrupt(at, 'duplicate members in a set listpack (Duplicate set members detected)')
        }
        return { type: 'set', members }
      }
      case T.RDB_TYPE_ZSET_ZIPLIST:
      case T.RDB_TYPE_ZSET_LISTPACK: {
        const at = input.offset
        const packed = this.type === T.RDB_TYPE_ZSET_ZIPLIST
          ? decodeZiplist(input.blob('a ziplist'), at, 'zset ziplist', this.#max)
          : decodeListpack(input.blob('a listpack'), at, 'zset listpack', this.#max)
        return this.#zsetFromPacked(packed, at)
      }
      case T.RDB_TYPE_HASH_ZIPLIST:
      case T.RDB_TYPE_HASH_LISTPACK: {
        const at = input.offset
        const packed = this.type === T.RDB_TYPE_HASH_ZIPLIST
          ? decodeZiplist(input.blob('a ziplist'), at, 'hash ziplist', this.#max)
          : decodeListpack(input.blob('a listpack'), at, 'hash listpack', this.#max)
        if (packed.length % 2 !== 0) throw corrupt(at, `hash ${packed.length} entries is not a whole number of field/value pairs`)
        const pairs: Array<[ByteString, ByteString]> = []
        for (let i = 0; i < packed.length; i += 2) pairs.push([entryToString(packed[i]!), entryToString(packed[i + 1]!)])
        return this.#hashFromPairs(pairs, at)
      }
      case T.RDB_TYPE_LIST_QUICKLIST:
      case T.RDB_TYPE_LIST_QUICKLIST_2:
        return this.#quicklist(input)
      case T.RDB_TYPE_HASH_METADATA_PRE_GA:
      case T.RDB_TYPE_HASH_METADATA:
        return this.#hashMetadata(input)
      case T.RDB_TYPE_HASH_LISTPACK_EX_PRE_GA:
      case T.RDB_TYPE_HASH_LISTPACK_EX:
        return this.#hashListpackEx(input)
      case T.RDB_TYPE_MODULE_2:
        this.#skipper ??= new ModuleSkipper(false)
        this.#skipper.step(input)
        this.#context.warn(
          RDB_WARNING_CODES.moduleValueSkipped,
          `a value of module type '${(this.#skipper as ModuleSkipper).name}' was skipped: Replicast has no modules`,
        )
        return SKIPPED
      case T.RDB_TYPE_STREAM_LISTPACKS:
      case T.RDB_TYPE_STREAM_LISTPACKS_2:
      case T.RDB_TYPE_STREAM_LISTPACKS_3:
        this.#skipper ??= new StreamSkipper(this.type)
        this.#skipper.step(input)
        this.#context.warn(RDB_WARNING_CODES.streamSkipped, 'a stream was skipped: Replicast has no streams')
        return SKIPPED
      case T.RDB_TYPE_MODULE_PRE_GA:
        throw new RdbError(
          RDB_ERROR_CODES.unsupported,
          `RDB unsupported at byte ${this.offset}: a pre-GA module value (type 6) has no end marker and cannot be skipped without its module`,
          this.offset,
        )
      default:
        throw corrupt(this.offset, `unknown value type ${this.type}`)
    }
  }

  #count(input: Input, what: string): number {
    const at = input.offset
    const n = input.length(what)
    if (n > this.#context.maxCollectionLength) {
      throw new RdbLimitError('maxCollectionLength', this.#context.maxCollectionLength, n, at, 'Collection length')
    }
    return n
  }

  #limit<E>(items: E[], at: number): E[] {
    if (items.length > this.#context.maxCollectionLength) {
      throw new RdbLimitError('maxCollectionLength', this.#context.maxCollectionLength, items.length, at, 'Collection length')
    }
    return items
  }

  // The resumable loop of the plain encodings: the length once, then one element per commit.
  // `readElement` reads all of an element before it changes anything (see the module header);
  // `seen` is there for the duplicate checks of sets, zsets and hashes.
  #readElements(input: Input, lengthWhat: string, readElement: () => void): void {
    if (!this.#started) {
      this.#remaining = this.#count(input, lengthWhat)
      this.#seen = null
      this.#started = true
      input.commit()
    }
    while (this.#remaining > 0) {
      readElement()
      this.#remaining--
      input.commit()
    }
    this.#seen = null
  }

  /** False when `member` was already read in this value; the set is made only for the types that ask. */
  #firstSighting(member: ByteString): boolean {
    return (this.#seen ??= new SeenSet()).add(member)
  }

  #plainList(input: Input): PlainValue {
    const items = this.#items
    this.#readElements(input, 'the list length', () => items.push(input.string('a list item')))
    return { type: 'list', items }
  }

  #plainSet(input: Input): PlainValue {
    const members = this.#items
    this.#readElements(input, 'the set size', () => {
      const at = input.offset
      const member = input.string('a set member')
      if (!this.#firstSighting(member)) throw corrupt(at, 'duplicate set member (Duplicate set members detected)')
      members.push(member)
    })
    return { type: 'set', members }
  }

  #plainZset(input: Input): PlainValue {
    const entries = this.#entries
    const binary = this.type === T.RDB_TYPE_ZSET_2
    this.#readElements(input, 'the zset size', () => {
      const at = input.offset
      const member = input.string('a zset member')
      const scoreAt = input.offset
      const score = binary ? input.f64le() : readStringScore(input)
      if (Number.isNaN(score)) throw corrupt(scoreAt, 'NaN or unparsable zset score (Zset with NAN score detected)')
      if (!this.#firstSighting(member)) throw corrupt(at, 'duplicate zset member (Duplicate zset fields detected)')
      entries.push([member, score])
    })
    return { type: 'zset', entries }
  }

  #plainHash(input: Input): PlainValue {
    this.#readElements(input, 'the hash size', () => this.#readField(input))
    return { type: 'hash', fields: this.#fields }
  }

  #readField(input: Input): void {
    const at = input.offset
    const field = input.string('a hash field')
    const value = input.string('a hash value')
    if (!this.#firstSighting(field)) throw corrupt(at, 'duplicate hash field (Duplicate hash fields detected)')
    this.#fields.push([field, value])
  }

  #hashFromPairs(pairs: Array<readonly [ByteString, ByteString]>, at: number): PlainValue {
    this.#limit(pairs, at)
    const seen = new SeenSet<ByteString>()
    for (const [field] of pairs) {
      if (!seen.add(field)) throw corrupt(at, 'duplicate hash field in an encoded hash (Hash with dup elements)')
    }
    return { type: 'hash', fields: pairs }
  }

  #zsetFromPacked(packed: PackedEntry[], at: number): PlainValue {
    if (packed.length % 2 !== 0) throw corrupt(at, `zset ${packed.length} entries is not a whole number of member/score pairs`)
    const entries: Array<readonly [ByteString, number]> = []
    const seen = new SeenSet<ByteString>()
    for (let i = 0; i < packed.length; i += 2) {
      const member = entryToString(packed[i]!)
      const raw = packed[i + 1]!
      const score = typeof raw === 'number' ? raw : parseScore(raw)
      if (Number.isNaN(score)) throw corrupt(at, `zset member ${i / 2} has an invalid score (Zset with NAN score detected)`)
      if (!seen.add(member)) throw corrupt(at, 'duplicate zset member in an encoded zset (Zset listpack integrity check failed)')
      entries.push([member, score])
    }
    return { type: 'zset', entries: this.#limit(entries, at) }
  }

  // Quicklist (14): nodes of ziplists. Quicklist 2 (18): each node is <container> <string>, the
  // string one element (PLAIN, values over 8 KB by default) or a listpack (PACKED).
  #quicklist(input: Input): PlainValue {
    const items = this.#items
    const v2 = this.type === T.RDB_TYPE_LIST_QUICKLIST_2
    this.#readElements(input, 'the quicklist node count', () => {
      let container = T.QUICKLIST_NODE_CONTAINER_PACKED
      if (v2) {
        const containerAt = input.offset
        container = input.length('a quicklist node container')
        if (container !== T.QUICKLIST_NODE_CONTAINER_PACKED && container !== T.QUICKLIST_NODE_CONTAINER_PLAIN) {
          throw corrupt(containerAt, `quicklist node container ${container}, expected 1 (PLAIN) or 2 (PACKED) (Quicklist integrity check failed)`)
        }
      }
      const at = input.offset
      const blob = input.blob('a quicklist node')
      if (blob.length === 0) throw corrupt(at, 'empty quicklist node')
      if (container === T.QUICKLIST_NODE_CONTAINER_PLAIN) {
        items.push(bytesToByteString(blob))
      } else {
        const entries = v2 ? decodeListpack(blob, at, 'quicklist listpack node', this.#max) : decodeZiplist(blob, at, 'quicklist ziplist node', this.#max)
        for (const e of entries) items.push(entryToString(e))
      }
      this.#limit(items, at)
    })
    return { type: 'list', items }
  }

  // Redis 7.4 hashes with field TTLs. HASH_METADATA (24): <minExpire 8 bytes> <len n> then n ×
  // (<len ttl> field value), ttl 0 = none; the PRE_GA form (22) has no minExpire.
  #hashMetadata(input: Input): PlainValue {
    if (!this.#started && this.type === T.RDB_TYPE_HASH_METADATA) input.i64le('a hash minimum field expiry')
    this.#readElements(input, 'the hash size', () => {
      const ttl = input.length('a hash field TTL')
      this.#readField(input)
      if (ttl !== 0) this.#ttls++
    })
    this.#warnTtls()
    return { type: 'hash', fields: this.#fields }
  }

  // HASH_LISTPACK_EX (25): <minExpire 8 bytes> then a listpack of (field, value, expire-at ms or
  // 0) triples; the PRE_GA form (23) has no minExpire.
  #hashListpackEx(input: Input): PlainValue {
    if (this.type === T.RDB_TYPE_HASH_LISTPACK_EX) input.i64le('a hash minimum field expiry')
    const at = input.offset
    const packed = decodeListpack(input.blob('a listpack'), at, 'hash listpack-ex', this.#max)
    if (packed.length % 3 !== 0) throw corrupt(at, `hash listpack-ex ${packed.length} entries is not a whole number of field/value/TTL triples`)
    const pairs: Array<[ByteString, ByteString]> = []
    for (let i = 0; i < packed.length; i += 3) {
      pairs.push([entryToString(packed[i]!), entryToString(packed[i + 1]!)])
      if (packed[i + 2] !== 0) this.#ttls++
    }
    const value = this.#hashFromPairs(pairs, at)
    this.#warnTtls()
    return value
  }

  #warnTtls(): void {
    if (this.#ttls === 0) return
    this.#context.warn(
      RDB_WARNING_CODES.fieldTtlsDropped,
      `${this.#ttls} hash field TTL(s) were dropped; the fields were kept (Replicast has no per-field expiry)`,
    )
  }
}

// rdbLoadDoubleValue: <1 length byte> <ASCII>, or 253/254/255 for NaN/+inf/-inf.
function readStringScore(input: Input): number {
  const n = input.u8()
  if (n === T.RDB_DOUBLE_NAN) return NaN
  if (n === T.RDB_DOUBLE_POS_INF) return Infinity
  if (n === T.RDB_DOUBLE_NEG_INF) return -Infinity
  const bytes = input.bytes(n)
  return parseScore(bytesToByteString(bytes))
}
