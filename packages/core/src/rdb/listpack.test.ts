import { describe, expect, test } from 'vitest'
import { RdbError } from './errors.ts'
import { decodeListpack } from './listpack.ts'
import { ALL_BYTES, listpack } from './test-util.ts'

const decode = (blob: Uint8Array) => decodeListpack(blob, 100, 'test listpack')

describe('decodeListpack', () => {
  test('every entry encoding', () => {
    const entries = [
      0, 127, 128, -1, 4095, -4096, 4096, -4097, 32767, -32768, 32768, 8388607, -8388608, 8388608,
      2147483647, -2147483648, 2147483648, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
      '', 'a', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4095), 'w'.repeat(4096), ALL_BYTES,
    ]
    expect(decode(listpack(entries))).toEqual(entries)
  })

  test('64-bit integers beyond 2^53 come back as exact decimal strings', () => {
    expect(decode(listpack([9223372036854775807n, -9223372036854775808n, 9007199254740993n]))).toEqual([
      '9223372036854775807', '-9223372036854775808', '9007199254740993',
    ])
  })

  test('an unknown count (65535) is counted by walking', () => {
    expect(decode(listpack(['a', 'b'], { count: 65535 }))).toEqual(['a', 'b'])
  })

  test('an empty listpack', () => {
    expect(decode(listpack([]))).toEqual([])
  })

  const good = listpack(['hello', 42, 'x'.repeat(200)])
  const corruptions: Record<string, (b: Uint8Array) => Uint8Array> = {
    'a wrong total size': (b) => { b[0]! += 1; return b },
    'a wrong count': (b) => { b[4] = 2; return b },
    'a missing terminator': (b) => { b[b.length - 1] = 0; return b },
    'a bad backlen': (b) => { b[6 + 6] ^= 1; return b },
    'an invalid encoding byte': (b) => { b[6] = 0xf5; return b },
    'a string overrunning the blob': (b) => { b[6] = 0x80 | 60; return b },
    'too short': () => Uint8Array.of(6, 0, 0, 0, 0, 0),
  }
  for (const [name, corrupt] of Object.entries(corruptions)) {
    test(`rejects ${name} with ERR_RDB_CORRUPT`, () => {
      const blob = corrupt(good.slice())
      let error: unknown
      try { decode(blob) } catch (e) { error = e }
      expect(error).toBeInstanceOf(RdbError)
      expect((error as RdbError).code).toBe('ERR_RDB_CORRUPT')
      expect((error as RdbError).offset).toBe(100)
      expect((error as RdbError).message).toMatch(/^RDB corrupt at byte 100: test listpack: .* \(Listpack integrity check failed\)$/)
    })
  }
})
