import { describe, expect, test } from 'vitest'
import { addInt64, parseInt64, parseScanCursor } from './integer.ts'

describe('string2ll', () => {
  test('accepts canonical 64-bit integers only', () => {
    expect(parseInt64('0')).toBe(0)
    expect(parseInt64('-1')).toBe(-1)
    expect(parseInt64('9007199254740991')).toBe(9007199254740991)
    expect(parseInt64('9007199254740992')).toBe(9007199254740992n)
    expect(parseInt64('9223372036854775807')).toBe(9223372036854775807n)
    expect(parseInt64('-9223372036854775808')).toBe(-9223372036854775808n)
    for (const bad of ['', '-', '-0', '01', '+1', ' 1', '1 ', '1.0', '9223372036854775808', '-9223372036854775809', '123456789012345678901', 'x']) {
      expect(parseInt64(bad), JSON.stringify(bad)).toBeNull()
    }
  })

  test('addition detects 64-bit overflow', () => {
    expect(addInt64(9223372036854775806n, 1)).toBe(9223372036854775807n)
    expect(addInt64(9223372036854775807n, 1)).toBeNull()
    expect(addInt64(-9223372036854775807n, -1)).toBe(-9223372036854775808n)
    expect(addInt64(9007199254740991, 1)).toBe(9007199254740992n)
    expect(addInt64(9007199254740992n, -1)).toBe(9007199254740991)
  })

  test('SCAN cursors: strtoul rules as Redis applies them', () => {
    expect(parseScanCursor('')).toBe(0n)
    expect(parseScanCursor('+0')).toBe(0n)
    expect(parseScanCursor('-1')).toBe(18446744073709551615n)
    expect(parseScanCursor('18446744073709551615')).toBe(18446744073709551615n)
    expect(parseScanCursor('5\x00x')).toBe(5n)
    for (const bad of [' 0', '18446744073709551616', '0x', '-', 'x']) expect(parseScanCursor(bad)).toBeNull()
  })
})
