import { describe, expect, test } from 'vitest'
import { RdbError } from './errors.ts'
import { ALL_BYTES, ziplist } from './test-util.ts'
import { decodeZiplist } from './ziplist.ts'

const decode = (blob: Uint8Array) => decodeZiplist(blob, 7, 'test ziplist')

describe('decodeZiplist', () => {
  test('every entry encoding, and a prevlen over 254 bytes', () => {
    const entries = [
      0, 12, 13, -1, 127, -128, 128, 32767, -32768, 32768, 8388607, -8388608, 8388608, 2147483647, -2147483648,
      2147483648, '', 'a', 'x'.repeat(63), 'y'.repeat(300), 'z'.repeat(16383), 'w'.repeat(16384), ALL_BYTES, 5,
    ]
    expect(decode(ziplist(entries))).toEqual(entries)
    expect(decode(ziplist([9223372036854775807n]))).toEqual(['9223372036854775807'])
  })

  test('an empty ziplist', () => {
    expect(decode(ziplist([]))).toEqual([])
  })

  const good = ziplist(['hello', 7, 'x'.repeat(300), 1000])
  const corruptions: Record<string, (b: Uint8Array) => Uint8Array> = {
    'a wrong total size': (b) => { b[0]! += 1; return b },
    'a wrong tail offset': (b) => { b[4]! += 1; return b },
    'a wrong count': (b) => { b[8] = 3; return b },
    'a missing terminator': (b) => { b[b.length - 1] = 0; return b },
    'a wrong prevlen': (b) => { b[10 + 7] = 9; return b },
    'an invalid integer encoding': (b) => { b[11] = 0xc1; return b },
    'a string overrunning the blob': (b) => { b[11] = 63; return b },
  }
  for (const [name, corrupt] of Object.entries(corruptions)) {
    test(`rejects ${name} with ERR_RDB_CORRUPT`, () => {
      expect(() => decode(corrupt(good.slice()))).toThrow(RdbError)
      try { decode(corrupt(good.slice())) } catch (e) {
        expect((e as RdbError).code).toBe('ERR_RDB_CORRUPT')
        expect((e as RdbError).message).toMatch(/Ziplist integrity check failed/)
      }
    })
  }
})
