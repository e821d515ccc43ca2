import { describe, expect, test } from 'vitest'
import { RdbError } from './errors.ts'
import { ALL_BYTES, zipmap } from './test-util.ts'
import { decodeZipmap } from './zipmap.ts'

const decode = (blob: Uint8Array) => decodeZipmap(blob, 0, 'test zipmap')

describe('decodeZipmap', () => {
  test('pairs with short and long (0xFE) lengths and free bytes', () => {
    const pairs: Array<[string, string]> = [['f', 'v'], ['', 'empty field'], ['long', 'x'.repeat(300)], [ALL_BYTES, 'binary']]
    expect(decode(zipmap(pairs))).toEqual(pairs)
    expect(decode(zipmap(pairs, 3))).toEqual(pairs)
  })

  test.each([
    ['a missing terminator', zipmap([['a', 'b']]).subarray(0, 6)],
    ['bytes after the terminator', Uint8Array.from([...zipmap([['a', 'b']]), 0])],
    ['a wrong count', Uint8Array.from([5, ...zipmap([['a', 'b']]).subarray(1)])],
    ['no pairs at all', Uint8Array.of(0, 0xff)],
    ['a value overrunning the blob', Uint8Array.of(1, 1, 0x61, 9, 0, 0x62, 0xff)],
  ])('rejects %s', (_, blob) => {
    expect(() => decode(blob)).toThrow(RdbError)
    expect(() => decode(blob)).toThrow(/Zipmap integrity check failed/)
  })
})
