import { describe, expect, test } from 'vitest'
import { strtod } from './strtod.ts'

describe('strtod', () => {
  test('prefixes, white space, signs, hexadecimal, inf and nan', () => {
    expect(strtod(' 1.5x')).toEqual({ value: 1.5, end: 4, erange: false })
    expect(strtod('+.5')).toEqual({ value: 0.5, end: 3, erange: false })
    expect(strtod('5.')).toEqual({ value: 5, end: 2, erange: false })
    expect(strtod('1e')).toEqual({ value: 1, end: 1, erange: false })
    expect(strtod('1e+')).toEqual({ value: 1, end: 1, erange: false })
    expect(strtod('0x1.8p1')).toEqual({ value: 3, end: 7, erange: false })
    expect(strtod('0x')).toEqual({ value: 0, end: 1, erange: false })
    expect(strtod('-INFINITY')).toEqual({ value: -Infinity, end: 9, erange: false })
    expect(strtod('infinit')).toEqual({ value: Infinity, end: 3, erange: false })
    expect(Number.isNaN(strtod('nan(123)').value)).toBe(true)
    expect(strtod('nan(123)').end).toBe(8)
    expect(strtod('')).toEqual({ value: 0, end: 0, erange: false })
    expect(strtod('x')).toEqual({ value: 0, end: 0, erange: false })
  })

  test('overflow, underflow and subnormals', () => {
    expect(strtod('1e400')).toEqual({ value: Infinity, end: 5, erange: true })
    expect(strtod('-1e400')).toEqual({ value: -Infinity, end: 6, erange: true })
    expect(strtod('1e-400')).toEqual({ value: 0, end: 6, erange: true })
    expect(strtod('4.9e-324').value).toBe(5e-324)
    expect(strtod('2.2250738585072011e-308').value).toBe(2.225073858507201e-308)
  })

  test('correct rounding agrees with the JS parser on many decimals', () => {
    let seed = 12345
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed
    }
    for (let i = 0; i < 3000; i++) {
      const digits = String(next()) + String(next())
      const text = `${digits.slice(0, 1 + (next() % 12))}.${digits.slice(0, next() % 20)}e${(next() % 640) - 320}`
      expect(strtod(text).value, text).toBe(Number(text))
    }
  })
})
