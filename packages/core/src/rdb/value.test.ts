import { describe, expect, test } from 'vitest'
import type { PlainValue } from '../values.ts'
import { RdbError, type RdbWarning } from './errors.ts'
import { ALL_BYTES, i64le, len, listpack, str, toHex } from './test-util.ts'
import { readRdbValue, writeRdbValue } from './value.ts'

const VALUES: PlainValue[] = [
  { type: 'string', value: '' },
  { type: 'string', value: ALL_BYTES },
  { type: 'string', value: '-2147483648' },
  { type: 'string', value: '007' },
  { type: 'string', value: 'z'.repeat(100_000) },
  { type: 'list', items: ['a', '', ALL_BYTES, '42'] },
  { type: 'list', items: [] },
  { type: 'set', members: ['__proto__', 'constructor', '1'] },
  { type: 'hash', fields: [['__proto__', ALL_BYTES], ['', '']] },
  { type: 'zset', entries: [['a', -Infinity], ['b', 0.1], ['c', Infinity]] },
]

function readError(bytes: Uint8Array): RdbError {
  try {
    readRdbValue(bytes)
  } catch (e) {
    expect(e).toBeInstanceOf(RdbError)
    return e as RdbError
  }
  throw new Error('expected an error')
}

describe('writeRdbValue / readRdbValue', () => {
  test('the type byte and the payload, as in an RDB file after the key', () => {
    expect(toHex(writeRdbValue({ type: 'list', items: ['a', 'b'] }))).toBe('0102016101' + '62')
    expect(toHex(writeRdbValue({ type: 'string', value: '7' }))).toBe('00c007')
    expect(toHex(writeRdbValue({ type: 'zset', entries: [['m', 1]] }))).toBe('0501016d000000000000f03f')
  })

  for (const compression of [false, true]) {
    test(`round-trips every type, binary-safe, empty collections included (compression ${compression})`, () => {
      for (const value of VALUES) expect(readRdbValue(writeRdbValue(value, { compression }))).toEqual(value)
    })
  }

  test('compression shrinks compressible values only when asked', () => {
    const value: PlainValue = { type: 'string', value: 'abc'.repeat(1000) }
    expect(writeRdbValue(value).length).toBe(1 + 2 + 3000)
    expect(writeRdbValue(value, { compression: true }).length).toBeLessThan(100)
  })

  test('reads values as Redis encodes them (a listpack hash, a hash with field TTLs)', () => {
    const warnings: RdbWarning[] = []
    expect(readRdbValue(Uint8Array.from([16, ...str(listpack(['f', 'v', 'n', 12]))]))).toEqual({ type: 'hash', fields: [['f', 'v'], ['n', '12']] })
    expect(readRdbValue(Uint8Array.from([25, ...i64le(1), ...str(listpack(['f', 'v', 99]))]), { onWarning: (w) => warnings.push(w) })).toEqual({
      type: 'hash', fields: [['f', 'v']],
    })
    expect(warnings.map((w) => w.code)).toEqual(['WARN_RDB_FIELD_TTLS_DROPPED'])
  })

  test('truncated at every position: ERR_RDB_TRUNCATED', () => {
    const bytes = writeRdbValue({ type: 'hash', fields: [['field', 'value'], ['n', '123456']] })
    for (let cut = 0; cut < bytes.length; cut++) {
      const error = readError(bytes.subarray(0, cut))
      expect(error.code).toBe('ERR_RDB_TRUNCATED')
      expect(error.message).toMatch(new RegExp(`^RDB value truncated: ${cut} bytes end inside it; at least \\d+ more byte`))
    }
  })

  test('trailing bytes, unknown types, modules and streams are refused', () => {
    expect(readError(Uint8Array.from([...writeRdbValue({ type: 'string', value: 'x' }), 0])).message).toBe(
      'RDB corrupt at byte 3: 1 byte(s) after the end of the value',
    )
    expect(readError(Uint8Array.of(8, 0)).message).toBe('RDB corrupt at byte 0: unknown value type 8 (expected 0-7 or 9-25)')
    const stream = readError(Uint8Array.from([15, ...len(0), ...len(0), ...len(0), ...len(0), ...len(0)]))
    expect(stream.code).toBe('ERR_RDB_UNSUPPORTED')
  })

  test('a NaN score is refused when writing', () => {
    expect(() => writeRdbValue({ type: 'zset', entries: [['a', NaN]] })).toThrow(/NaN score/)
  })
})
