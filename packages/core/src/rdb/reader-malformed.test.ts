import { describe, expect, test } from 'vitest'
import type { KeyRecord } from '../values.ts'
import { RDB_ERROR_CODES, RdbError, RdbLimitError } from './errors.ts'
import type { RdbReaderOptions } from './limits.ts'
import { RdbReader } from './reader.ts'
import { bytes, f64le, i64le, len, listpack, rdbFile, readAll, str } from './test-util.ts'
import { encodeRdb } from './writer.ts'

const CODES = new Set<string>(Object.values(RDB_ERROR_CODES))

/** Feeds `chunks` and finishes; returns the error, asserting it is a typed RdbError. */
function failure(chunks: readonly Uint8Array[], options?: Partial<RdbReaderOptions>): RdbError {
  const reader = new RdbReader(options)
  let error: unknown
  try {
    for (const chunk of chunks) reader.push(chunk)
    reader.finish()
  } catch (e) {
    error = e
  }
  if (!(error instanceof RdbError)) throw new Error(`expected an RdbError, got ${String(error)}`, { cause: error })
  expect(CODES.has(error.code)).toBe(true)
  expect(error.message).toMatch(/byte \d+/)
  return error
}

const rec = (key: string, value: KeyRecord['value'], db = 0, expireAt: number | null = null): KeyRecord => ({ db, key, value, expireAt })
const SMALL: KeyRecord[] = [
  rec('s', { type: 'string', value: 'hello' }, 0, 1_700_000_000_000),
  rec('i', { type: 'string', value: '12345' }),
  rec('l', { type: 'list', items: ['a', 'bb', '7'] }),
  rec('z', { type: 'zset', entries: [['m', 1.5]] }),
  rec('h', { type: 'hash', fields: [['f', 'v']] }, 1),
  rec('e', { type: 'set', members: ['x', 'y'] }, 1),
]
const SMALL_FILE = encodeRdb(SMALL, { 'redis-ver': '7.0.15', ctime: 1700000000 }, { compression: true })
const LEGACY_FILE = rdbFile([
  16, ...str('hl'), ...str(listpack(['f', 'v', 'g', 300])),
  18, ...str('q'), ...len(1), ...len(2), ...str(listpack(['a', 'b'])),
])

describe('RdbReader: malformed input always gives a typed error', () => {
  for (const [name, file] of [['a small writer file', SMALL_FILE], ['a listpack file', LEGACY_FILE]] as const) {
    test(`${name} truncated at every position: finish() throws ERR_RDB_TRUNCATED, whole and byte by byte`, () => {
      for (let cut = 0; cut < file.length; cut++) {
        const prefix = file.subarray(0, cut)
        expect(failure([prefix]).code).toBe('ERR_RDB_TRUNCATED')
        const byByte = Array.from(prefix, (_, i) => prefix.subarray(i, i + 1))
        const error = failure(byByte)
        expect(error.code).toBe('ERR_RDB_TRUNCATED')
        expect(error.offset).toBe(cut)
      }
      expect(readAll([file]).events.at(-1)).toMatchObject({ kind: 'end' })
    })

    test(`${name} with every single bit flipped: a typed error, never a crash or a hang`, () => {
      const seen = new Set<string>()
      for (let i = 0; i < file.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const flipped = file.slice()
          flipped[i]! ^= 1 << bit
          const error = failure([flipped])
          seen.add(error.code)
          // Byte by byte must fail the same way (a few positions are enough to check that path).
          if (i % 7 === 0 && bit === 3) expect(failure(Array.from(flipped, (_, j) => flipped.subarray(j, j + 1))).code).toBe(error.code)
        }
      }
      expect(seen.has('ERR_RDB_CHECKSUM')).toBe(true)
      expect(seen.has('ERR_RDB_SIGNATURE')).toBe(true)
    })
  }

  test('seeded fuzz: random mutations fed in random chunks give events or a typed error, nothing else', () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)
    let state = seed || 1
    const random = (n: number): number => {
      state ^= state << 13
      state ^= state >>> 17
      state ^= state << 5
      return (state >>> 0) % n
    }
    const files = [SMALL_FILE, LEGACY_FILE, rdbFile([0, ...str('k'), ...str('v')], { checksum: false })]
    try {
      for (let round = 0; round < 3000; round++) {
        const file = files[random(files.length)]!.slice()
        const mutated: number[] = Array.from(file)
        for (let m = 1 + random(4); m > 0 && mutated.length > 0; m--) {
          const at = random(mutated.length)
          const kind = random(4)
          if (kind === 0) mutated[at] = random(256)
          else if (kind === 1) mutated.splice(at, 1)
          else if (kind === 2) mutated.splice(at, 0, random(256))
          else mutated.length = at
        }
        const input = Uint8Array.from(mutated)
        const chunks: Uint8Array[] = []
        for (let at = 0; at < input.length; ) {
          const step = 1 + random(40)
          chunks.push(input.subarray(at, at + step))
          at += step
        }
        const reader = new RdbReader()
        try {
          for (const chunk of chunks) reader.push(chunk)
          reader.finish()
        } catch (error) {
          if (!(error instanceof RdbError)) throw error
          expect(CODES.has(error.code)).toBe(true)
        }
      }
    } catch (error) {
      console.error(`FUZZ_SEED=${seed}`)
      throw error
    }
  })

  test('bad magic, as soon as the first bytes arrive', () => {
    const error = failure([bytes('RDX')])
    expect(error.code).toBe('ERR_RDB_SIGNATURE')
    expect(error.message).toBe('Not an RDB file: expected "REDIS" at byte 0, found "RDX" (Wrong signature trying to load DB from file)')
    expect(failure([bytes('*1\r\n$4\r\nPING\r\n')]).code).toBe('ERR_RDB_SIGNATURE')
  })

  test('versions 13, 0 and non-digits', () => {
    const v13 = failure([bytes('REDIS0013\xff')])
    expect(v13.code).toBe('ERR_RDB_VERSION')
    expect(v13.message).toBe("Can't handle RDB format version 13 (at byte 5): this reader accepts versions 1 to 12 (Redis up to 7.4).")
    expect(failure([bytes('REDIS0000')]).code).toBe('ERR_RDB_VERSION')
    expect(failure([bytes('REDIS00a1')]).message).toMatch(/not 4 ASCII digits: "00a1"/)
  })

  test.each([8, 26, 100, 243])('unknown value type %i', (type) => {
    const error = failure([rdbFile([0xfe, 0, type, ...str('k'), ...str('v')])])
    expect(error.code).toBe('ERR_RDB_CORRUPT')
    expect(error.offset).toBe(11)
    expect(error.message).toBe(`RDB corrupt at byte 11: unknown value type ${type} (expected a value type 0-7, 9-25 or an opcode 0xf4-0xff)`)
  })

  test('bad length and string encodings', () => {
    expect(failure([rdbFile([0xfe, 0x82])]).message).toBe('RDB corrupt at byte 10: unknown length encoding 0x82 for the SELECTDB database number')
    expect(failure([rdbFile([0xfe, 0xc0, 0])]).message).toBe(
      'RDB corrupt at byte 10: expected the SELECTDB database number (a length), found the string encoding byte 0xc0',
    )
    expect(failure([rdbFile([0, ...str('k'), 0xc4])]).message).toBe(
      'RDB corrupt at byte 12: unknown string encoding 0xc4 for a string value (expected 0xc0-0xc3)',
    )
  })

  test('invalid LZF data, and an LZF length no LZF stream can reach', () => {
    const bad = failure([rdbFile([0, ...str('k'), 0xc3, ...len(3), ...len(10), 0x20, 0x00, 0x00])])
    expect(bad.code).toBe('ERR_RDB_CORRUPT')
    expect(bad.message).toMatch(/^RDB corrupt at byte 12: the LZF-compressed a string value is invalid, for its stated length 10 \(Invalid LZF compressed string\)/)
    const bomb = failure([rdbFile([0, ...str('k'), 0xc3, ...len(2), ...len(100_000_000), 0, 0])])
    expect(bomb.message).toMatch(/claims 100000000 bytes from 2 compressed bytes/)
  })

  test('a value over maxValueBytes, with the default and with the option lowered', () => {
    const huge = failure([rdbFile([0, ...str('k'), ...len(0xffffffff)])])
    expect(huge).toBeInstanceOf(RdbLimitError)
    expect(huge.code).toBe('ERR_RDB_LIMIT')
    expect(huge.message).toBe(
      'Length of a string value 4294967295 at byte 12 exceeds maxValueBytes (536870888); raise the maxValueBytes option if this is intended.',
    )
    expect((huge as RdbLimitError).limit).toBe('maxValueBytes')
    const lowered = failure([encodeRdb([rec('k', { type: 'string', value: 'x'.repeat(11) })])], { maxValueBytes: 10 }) as RdbLimitError
    expect([lowered.limitValue, lowered.actual]).toEqual([10, 11])
    // 64-bit lengths, absurd ones included, fail on the limit, never on an allocation.
    expect(failure([rdbFile([0, ...str('k'), 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]).code).toBe('ERR_RDB_LIMIT')
  })

  test('a collection over maxCollectionLength, and a database over databases', () => {
    const list = failure([rdbFile([1, ...str('l'), 0x81, 0, 0, 1, 0, 0, 0, 0, 0])]) as RdbLimitError
    expect(list.limit).toBe('maxCollectionLength')
    expect(list.message).toBe(
      'Collection length 1099511627776 at byte 12 exceeds maxCollectionLength (100000000); raise the maxCollectionLength option if this is intended.',
    )
    expect((failure([encodeRdb([rec('s', { type: 'set', members: ['a', 'b', 'c'] })])], { maxCollectionLength: 2 }) as RdbLimitError).actual).toBe(3)
    // Encoded blobs are bounded by their entries, before the array holding them grows.
    expect(failure([rdbFile([16, ...str('h'), ...str(listpack(['a', '1', 'b', '2']))])], { maxCollectionLength: 3 }).message).toBe(
      'Encoded entries 4 at byte 12 exceeds maxCollectionLength (3); raise the maxCollectionLength option if this is intended.',
    )
    expect((failure([rdbFile([16, ...str('h'), ...str(listpack(['a', '1', 'b', '2'], { count: 65535 }))])], { maxCollectionLength: 3 }) as RdbLimitError).actual).toBe(4)
    const db = failure([rdbFile([0xfe, 16])]) as RdbLimitError
    expect(db.limit).toBe('databases')
    expect(db.message).toBe('SELECTDB database 16 at byte 9 exceeds databases (16); raise the databases option if this is intended.')
  })

  test('a checksum mismatch names both values', () => {
    const file = encodeRdb([rec('a', { type: 'string', value: 'b' })])
    file[file.length - 1]! ^= 0x80
    const error = failure([file])
    expect(error.code).toBe('ERR_RDB_CHECKSUM')
    expect(error.offset).toBe(file.length - 8)
    expect(error.message).toBe(
      `RDB checksum mismatch at byte ${file.length - 8}: the file stores 0xe5489825235a6395, its bytes give 0x65489825235a6395 (RDB CRC error); the file is corrupt.`,
    )
  })

  test('bytes after the end, in the same chunk or in a later push', () => {
    const file = encodeRdb([rec('a', { type: 'string', value: 'b' })])
    expect(failure([Uint8Array.from([...file, 0])]).message).toBe(
      `RDB corrupt at byte ${file.length}: 1 unexpected byte(s) after the end of the RDB (expected nothing after the checksum)`,
    )
    expect(failure([file, Uint8Array.of(1, 2)]).message).toMatch(/2 unexpected byte\(s\) after the end/)
  })

  test('structures Redis refuses: duplicates, NaN scores, bad quicklist nodes, pre-GA modules, bad module AUX', () => {
    const dupSet = failure([rdbFile([0xfe, 0, 2, ...str('s'), ...len(2), ...str('a'), ...str('a')])])
    expect(dupSet.message).toBe(
      'RDB corrupt at byte 17: duplicate set member (Duplicate set members detected) (in the value of key "s", type 2 set, db 0)',
    )
    expect(failure([rdbFile([4, ...str('h'), ...len(2), ...str('f'), ...str('1'), ...str('f'), ...str('2')])]).message).toMatch(/Duplicate hash fields/)
    expect(failure([rdbFile([16, ...str('h'), ...str(listpack(['f', '1', 'f', '2']))])]).message).toMatch(/Hash with dup elements/)
    expect(failure([rdbFile([5, ...str('z'), ...len(1), ...str('m'), ...f64le(NaN)])]).message).toMatch(/Zset with NAN score detected/)
    expect(failure([rdbFile([17, ...str('z'), ...str(listpack(['m', 'abc']))])]).message).toMatch(/invalid score/)
    expect(failure([rdbFile([18, ...str('q'), ...len(1), ...len(3), ...str('x')])]).message).toMatch(/container 3, expected 1 \(PLAIN\) or 2 \(PACKED\)/)
    expect(failure([rdbFile([18, ...str('q'), ...len(1), ...len(2), ...str('')])]).message).toMatch(/empty quicklist node/)
    expect(failure([rdbFile([16, ...str('h'), ...str(listpack(['f']))])]).message).toMatch(/not a whole number of field\/value pairs/)
    const preGa = failure([rdbFile([6, ...str('m'), ...len(1)])])
    expect(preGa.code).toBe('ERR_RDB_UNSUPPORTED')
    expect(preGa.message).toMatch(/pre-GA module value \(type 6\)/)
    expect(failure([rdbFile([0xf7, ...len(1), ...len(1), ...len(2), ...len(0)])]).message).toMatch(/when-opcode is 1, expected 2 \(bad when_opcode\)/)
    expect(failure([rdbFile([0xfc, ...i64le(2n ** 62n), 0, ...str('k'), ...str('v')])]).message).toMatch(/EXPIRETIME_MS 4611686018427388000 is out of range/)
    expect(failure([rdbFile([0xfc, ...i64le(5)])]).message).toMatch(/EOF right after an expire time/)
  })

  test('truncation messages say what was being read', () => {
    expect(failure([]).message).toBe(
      'RDB truncated: the input ended after 0 bytes, inside the header (REDIS + 4-digit version) that starts at byte 0; at least 1 more byte(s) were expected. The file or transfer was cut short.',
    )
    const list = encodeRdb([rec('mylist', { type: 'list', items: ['aaaa', 'bbbb'] })])
    expect(failure([list.subarray(0, 24)]).message).toBe(
      'RDB truncated: the input ended after 24 bytes, inside the value of key "mylist" (type 1 list) that starts at byte 14; at least 4 more byte(s) were expected. The file or transfer was cut short.',
    )
    expect(failure([list.subarray(0, list.length - 9)]).message).toMatch(/inside the next opcode \(the file has no EOF opcode\)/)
    expect(failure([list.subarray(0, list.length - 3)]).message).toMatch(/inside the 8-byte checksum that starts at byte \d+; at least 3 more/)
  })

  test('after an error the reader stays failed and throws the same error', () => {
    const reader = new RdbReader()
    let first: unknown
    try { reader.push(bytes('NOPE')) } catch (e) { first = e }
    expect(first).toBeInstanceOf(RdbError)
    expect(() => reader.push(bytes('REDIS0010'))).toThrow(first as Error)
    expect(() => reader.finish()).toThrow(first as Error)
  })

  test('options are validated', () => {
    expect(() => new RdbReader({ maxValueBytes: 0, databases: 1.5 })).toThrow(
      'RDB reader options must be positive integers: maxValueBytes (0), databases (1.5).',
    )
  })
})
