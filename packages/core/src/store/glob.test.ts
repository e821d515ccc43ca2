import { describe, expect, test } from 'vitest'
import { globMatch } from './glob.ts'

describe("Redis's stringmatchlen", () => {
  test.each([
    ['*', '', false], // Redis: only KEYS and SCAN short-cut "*"
    ['*', 'anything', true],
    ['k*', 'key', true],
    ['k*', 'ak', false],
    ['*1', 'k1', true],
    ['k?', 'k1', true],
    ['k?', 'k', false],
    ['[a-c]x', 'bx', true],
    ['[c-a]x', 'bx', true],
    ['[^a-c]x', 'bx', false],
    ['[abc', 'a', true],
    ['[abc', 'ab', false],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['a\\', 'a\\', true],
    ['h*h', 'hh', true],
    ['h*h', 'hxh', true],
    ['**a', 'ba', true],
    ['[\\]]', ']', true],
    ['[', '[', false],
    ['[a-\xff]', '\x80', false],
  ])('%j matches %j: %s', (pattern, s, expected) => {
    expect(globMatch(pattern, s)).toBe(expected)
  })

  test('pathological patterns finish quickly', () => {
    const pattern = '*a'.repeat(30) + 'b'
    const s = 'a'.repeat(60)
    const start = performance.now()
    expect(globMatch(pattern, s)).toBe(false)
    expect(performance.now() - start).toBeLessThan(1000)
  })
})
