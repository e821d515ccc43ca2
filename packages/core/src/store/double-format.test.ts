import { describe, expect, test } from 'vitest'
import { formatG17, formatScore } from './double-format.ts'

describe('"%.17g" as glibc prints it (vectors from redis-server 7.0.15 ZSCORE)', () => {
  test.each([
    [0.1, '0.10000000000000001'],
    [0.30000000000000004, '0.30000000000000004'],
    [1e300, '1.0000000000000001e+300'],
    [1e-5, '1.0000000000000001e-05'],
    [9.9998886718268301e-321, '9.9998886718268301e-321'],
    [12345678901234567890, '1.2345678901234567e+19'],
    [123456789012345.5, '123456789012345.5'],
    [1e16, '10000000000000000'],
    [1e17, '1e+17'],
    [0.0001, '0.0001'],
    [-2.5, '-2.5'],
    [3, '3'],
    [-0, '-0'],
    [5e-324, '4.9406564584124654e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [48551609320000544, '48551609320000544'],
    [2 ** 53 + 2, '9007199254740994'],
  ])('%s → %s', (x, expected) => {
    expect(formatG17(x)).toBe(expected)
  })

  test('ties round half to even on the exact value', () => {
    // 2^-1074 * k values with an exact 18th digit of 5 are rare; 0.5 + 2^-53 style values are not ties.
    expect(formatG17(1.0000000000000002)).toBe('1.0000000000000002')
    expect(formatG17(9007199254740993)).toBe('9007199254740992')
    expect(formatG17(2 ** 60)).toBe('1.152921504606847e+18')
  })

  test('scores print infinities as inf/-inf', () => {
    expect(formatScore(Infinity)).toBe('inf')
    expect(formatScore(-Infinity)).toBe('-inf')
  })
})
