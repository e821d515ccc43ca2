import { describe, expect, test } from 'vitest'
import { LZF_INVALID, LZF_OUTPUT_OVERFLOW, lzfCompress, lzfDecompress } from './lzf.ts'
import { bytes } from './test-util.ts'

// LZF expands incompressible input by at most one control byte per 32 literals.
function compress(input: Uint8Array, room = input.length + Math.ceil(input.length / 32) + 16): Uint8Array | null {
  const out = new Uint8Array(room + 8)
  const n = lzfCompress(input, 0, input.length, out, 0, room)
  return n === 0 ? null : out.slice(0, n)
}

function roundTrip(input: Uint8Array): void {
  const compressed = compress(input)
  expect(compressed).not.toBeNull()
  const out = new Uint8Array(input.length)
  expect(lzfDecompress(compressed!, 0, compressed!.length, out)).toBe(input.length)
  expect(out).toEqual(input)
}

let seed = 7
const random = (): number => {
  seed = (seed * 1103515245 + 12345) >>> 0
  return seed >>> 24
}

describe('LZF', () => {
  const cases: Record<string, Uint8Array> = {
    'one byte': bytes('a'),
    'short text': bytes('hello hello hello hello hello'),
    'a long run of one byte': new Uint8Array(70_000).fill(0x61),
    'every byte value repeated': Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff),
    'random bytes': Uint8Array.from({ length: 5000 }, random),
    'text with far repeats': bytes('The quick brown fox jumps over the lazy dog. '.repeat(400)),
    'matches longer than MAX_REF': bytes('x'.repeat(100) + 'abcdefgh'.repeat(200) + 'y'.repeat(600)),
    'repeats beyond the 8 KB window': Uint8Array.from({ length: 40_000 }, (_, i) => (i % 9000 < 100 ? 1 : (i * 31) & 0xff)),
  }
  for (const [name, input] of Object.entries(cases)) test(`round-trips ${name}`, () => roundTrip(input))

  test('successive calls do not see each other (no stale hash entries)', () => {
    for (let i = 0; i < 200; i++) roundTrip(Uint8Array.from({ length: 30 + (i % 50) }, () => random() & 3))
  })

  test('returns 0 when the output does not fit, as Redis relies on for "saves 4 bytes"', () => {
    const incompressible = Uint8Array.from({ length: 100 }, random)
    expect(compress(incompressible, incompressible.length - 4)).toBeNull()
    const compressible = new Uint8Array(100).fill(7)
    expect(compress(compressible, 96)!.length).toBeLessThan(10)
    expect(lzfCompress(compressible, 0, 0, new Uint8Array(8), 0, 8)).toBe(0)
  })

  test('decodes hand-made sequences: literal, short and long back references with overlap', () => {
    // "abc" literal, then a 4-byte reference 3 back ("abca"), then a 12-byte long reference 1 back.
    const input = Uint8Array.of(0x02, 0x61, 0x62, 0x63, (2 << 5) | 0, 0x02, (7 << 5) | 0, 12 - 9, 0x00)
    const out = new Uint8Array(3 + 4 + 12)
    expect(lzfDecompress(input, 0, input.length, out)).toBe(19)
    expect(String.fromCharCode(...out)).toBe('abcabca' + 'a'.repeat(12))
  })

  test('rejects references before the start, truncated sequences, and overflowing output', () => {
    const out = new Uint8Array(16)
    expect(lzfDecompress(Uint8Array.of((1 << 5) | 0, 0x00), 0, 2, out)).toBe(LZF_INVALID) // reference before start
    expect(lzfDecompress(Uint8Array.of(0x05, 0x61), 0, 2, out)).toBe(LZF_INVALID) // literal runs past input
    expect(lzfDecompress(Uint8Array.of(0x00, 0x61, 1 << 5), 0, 3, out)).toBe(LZF_INVALID) // reference without offset
    expect(lzfDecompress(Uint8Array.of(0x00, 0x61, 7 << 5), 0, 3, out)).toBe(LZF_INVALID) // long reference without length
    expect(lzfDecompress(Uint8Array.of(0x03, 1, 2, 3, 4), 0, 5, new Uint8Array(2))).toBe(LZF_OUTPUT_OVERFLOW)
    expect(lzfDecompress(Uint8Array.of(0x00, 0x61, (6 << 5) | 0, 0), 0, 4, new Uint8Array(4))).toBe(LZF_OUTPUT_OVERFLOW)
  })
})
