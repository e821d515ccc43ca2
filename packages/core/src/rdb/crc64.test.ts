import { describe, expect, test } from 'vitest'
import { Crc64, crc64, crc64Update } from './crc64.ts'
import { bytes, hexBytes } from './test-util.ts'

// REDIS.md §8.6: the vectors of crc64.c's test and RDB files produced by Redis 7.0.15.
const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna ' +
  'aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. ' +
  'Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint ' +
  'occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.\0'

const FILES = [
  { name: 'empty RDB v10', hex: '524544495330303130ff', crc: 'a9fd37fe89a77eeb' },
  { name: 'empty RDB v11', hex: '524544495330303131ff', crc: 'c0228a8d74389762' },
  { name: 'one-key RDB v10', hex: '524544495330303130fe00fb01000001610162ff', crc: '95635a2325984865' },
  {
    name: 'Redis 7.0.15 empty diskless payload',
    hex: '524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374696d65c25696056bfa0875736564' +
      '2d6d656dc228780f00fa0e7265706c2d73747265616d2d6462c000fa077265706c2d69642834656564326338386361396430373734643964306231' +
      '366530383635653733316135613564363435fa0b7265706c2d6f6666736574c000fa08616f662d62617365c000ff',
    crc: '1348ef85ba475ab8',
  },
]

describe('crc64 (CRC-64/Jones as Redis)', () => {
  test('crc64.c test vectors', () => {
    expect(crc64(bytes('123456789'))).toBe(0xe9c6d914c4b8d9can)
    expect(LOREM.length).toBe(446)
    expect(crc64(bytes(LOREM))).toBe(0xc7794709e69683b3n)
    expect(crc64(new Uint8Array(0))).toBe(0n)
  })

  for (const file of FILES) {
    test(`the stored checksum of the ${file.name}`, () => {
      const crc = new Crc64().update(hexBytes(file.hex))
      const stored = new Uint8Array(8)
      crc.writeLE(stored, 0)
      expect(Buffer.from(stored).toString('hex')).toBe(file.crc)
      expect(crc.equalsLE(hexBytes(file.crc), 0)).toBe(true)
      expect(crc.equalsLE(hexBytes('00' + file.crc.slice(2)), 0)).toBe(false)
    })
  }

  test('incremental updates at every split point equal one update', () => {
    const input = bytes(LOREM)
    const whole = crc64(input)
    for (let split = 0; split <= input.length; split++) {
      expect(crc64Update(crc64Update(0n, input.subarray(0, split)), input.subarray(split))).toBe(whole)
      expect(new Crc64().update(input, 0, split).update(input, split).value).toBe(whole)
    }
  })

  test('byte by byte and in odd slices (the 8-byte fast path and the tail agree)', () => {
    const input = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 0xff)
    const whole = crc64(input)
    const c = new Crc64()
    for (let i = 0; i < input.length; i++) c.update(input, i, i + 1)
    expect(c.value).toBe(whole)
    const d = new Crc64()
    for (let i = 0, step = 1; i < input.length; i += step, step = (step % 13) + 1) d.update(input, i, Math.min(input.length, i + step))
    expect(d.value).toBe(whole)
  })

  test('a state round-trips through the bigint form', () => {
    const state = crc64(bytes('1234'))
    expect(new Crc64(state).update(bytes('56789')).value).toBe(0xe9c6d914c4b8d9can)
  })
})
