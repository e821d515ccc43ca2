import { describe, expect, test } from 'vitest'
import { RdbError } from './errors.ts'
import { decodeIntset } from './intset.ts'
import { intset } from './test-util.ts'

const decode = (blob: Uint8Array) => decodeIntset(blob, 3, 'test intset')

describe('decodeIntset', () => {
  test('16, 32 and 64-bit widths, negative and extreme values', () => {
    expect(decode(intset([-32768, -1, 0, 1, 32767], 2))).toEqual(['-32768', '-1', '0', '1', '32767'])
    expect(decode(intset([-2147483648, 65536, 2147483647], 4))).toEqual(['-2147483648', '65536', '2147483647'])
    expect(decode(intset([-9223372036854775808n, 0n, 9223372036854775807n], 8))).toEqual([
      '-9223372036854775808', '0', '9223372036854775807',
    ])
  })

  test.each([
    ['a bad encoding', Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0)],
    ['a length that does not fill the blob', intset([1, 2], 2).subarray(0, 10)],
    ['unsorted members', intset([2, 1], 2)],
    ['duplicate members', intset([5, 5], 4)],
    ['a short header', Uint8Array.of(2, 0, 0)],
  ])('rejects %s', (_, blob) => {
    expect(() => decode(blob)).toThrow(RdbError)
    expect(() => decode(blob)).toThrow(/^RDB corrupt at byte 3: test intset: .*Intset integrity check failed/)
  })
})
