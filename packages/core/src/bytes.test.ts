import { describe, expect, test } from 'vitest'
import { ByteWriter, bytesToByteString, byteStringToBytes, writeByteString } from './bytes.ts'

// The pure definitions the fast paths (Node's latin1Slice/latin1Write, short-string loops) must match.
const referenceString = (bytes: Uint8Array, start: number, end: number): string => {
  let s = ''
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!)
  return s
}

describe('bytesToByteString and writeByteString', () => {
  // Every byte value, at every length around the thresholds where the implementation changes.
  const all = Uint8Array.from({ length: 1024 }, (_, i) => (i * 167 + 13) & 0xff)

  test('decode any range like the one-char-per-byte definition', () => {
    for (let length = 0; length <= 300; length++) {
      for (const start of [0, 1, 7, 700]) {
        expect(bytesToByteString(all, start, start + length)).toBe(referenceString(all, start, start + length))
      }
    }
    expect(bytesToByteString(all)).toBe(referenceString(all, 0, all.length))
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff)
    expect(bytesToByteString(big, 3, 99_999)).toBe(referenceString(big, 3, 99_999))
  })

  test('decode clamps an end past the array, as subarray does', () => {
    expect(bytesToByteString(Uint8Array.of(65, 66, 67), 1, 10)).toBe('BC')
    expect(bytesToByteString(Uint8Array.of(65, 66, 67), 2, 1)).toBe('')
  })

  test('decode reads a view at its own offset', () => {
    const view = all.subarray(100, 400)
    expect(bytesToByteString(view, 10, 200)).toBe(referenceString(all, 110, 300))
  })

  test('encode writes one byte per char at the offset, and round-trips', () => {
    for (let length = 0; length <= 300; length++) {
      const s = referenceString(all, 5, 5 + length)
      const target = new Uint8Array(length + 20).fill(0xaa)
      expect(writeByteString(target, 9, s)).toBe(9 + length)
      expect(Array.from(target.subarray(9, 9 + length))).toEqual(Array.from(all.subarray(5, 5 + length)))
      expect(target[8]).toBe(0xaa)
      expect(target[9 + length]).toBe(0xaa)
      expect(bytesToByteString(byteStringToBytes(s))).toBe(s)
    }
  })

  test('encode into a view writes at the view\'s offset', () => {
    const backing = new Uint8Array(200)
    const view = backing.subarray(50, 150)
    const s = 'x'.repeat(40)
    writeByteString(view, 10, s)
    expect(backing[59]).toBe(0)
    expect(backing[60]).toBe(120)
    expect(backing[99]).toBe(120)
    expect(backing[100]).toBe(0)
  })
})

describe('ByteWriter', () => {
  test('decimal writes non-negative integers like String()', () => {
    const values = [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, 65536, 999_999_999, 1_000_000_000, 2 ** 32, 2 ** 53 - 1]
    const writer = new ByteWriter(1)
    for (const n of values) writer.decimal(n).byte(44)
    expect(bytesToByteString(writer.finish())).toBe(values.map((n) => `${n},`).join(''))
  })

  test('room grows the buffer, keeping what was written; advance counts bytes written into it', () => {
    const writer = new ByteWriter(2)
    writer.byteString('ab')
    const buffer = writer.room(5)
    expect(buffer.length - writer.length).toBeGreaterThanOrEqual(5)
    buffer.set([99, 100, 101], writer.length)
    writer.advance(3)
    expect(bytesToByteString(writer.finish())).toBe('abcde')
  })

  test('view lends the bytes written; reset starts over without a copy', () => {
    const writer = new ByteWriter(4)
    writer.byteString('hello')
    const view = writer.view()
    expect(bytesToByteString(view)).toBe('hello')
    writer.reset()
    expect(writer.length).toBe(0)
    writer.byteString('HE')
    // The view shares the buffer: its first bytes now show the new writes.
    expect(bytesToByteString(view)).toBe('HEllo')
    expect(bytesToByteString(writer.finish())).toBe('HE')
  })
})
