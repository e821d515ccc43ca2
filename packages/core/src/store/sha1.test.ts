import { describe, expect, test } from 'vitest'
import { sha1ByteString, toHex } from './sha1.ts'

describe('SHA-1', () => {
  test.each([
    ['', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '84983e441c3bd26ebaae4aa1f95129e5e54670f1'],
    ['a'.repeat(1_000_000), '34aa973cd4c4daa4f61eeb2bdbad27316534016f'],
  ])('%#', (input, digest) => {
    expect(toHex(sha1ByteString(input))).toBe(digest)
  })
})
