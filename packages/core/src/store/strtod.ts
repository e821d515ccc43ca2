// strtod(3) and strtold(3) as glibc implements them, for the places where Redis parses floats:
// the longest prefix that forms a number (leading white space, a sign, decimal or hexadecimal
// digits with an optional exponent, "inf", "infinity", "nan", "nan(...)"), rounded exactly.
// Redis then layers its own checks on top (string2d, string2ld, zslParseRange); those live with
// their callers. The scanner here is shared; the conversion is per format.
import { bitLength, DOUBLE, roundRational, X87_EXTENDED, type BinaryFormat, type BinaryValue } from './binary-float.ts'
import { isCSpace } from './integer.ts'

/** What strtod/strtold found: the number, where it ended, and whether errno would be ERANGE. */
export interface ScannedFloat {
  readonly kind: 'number' | 'inf' | 'nan'
  readonly negative: boolean
  /** Decimal: the digits as an integer and the power of ten to scale by. Hexadecimal: power of two. */
  readonly digits: bigint
  readonly scale: number
  readonly radix: 10 | 2
  /** Index just past the number, or 0 when no number was found (the C end pointer equals the input). */
  readonly end: number
}

const NOTHING: ScannedFloat = Object.freeze({ kind: 'number', negative: false, digits: 0n, scale: 0, radix: 10, end: 0 })

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c
}

function matchWord(s: string, at: number, word: string): boolean {
  if (s.length - at < word.length) return false
  for (let i = 0; i < word.length; i++) if (lower(s.charCodeAt(at + i)) !== word.charCodeAt(i)) return false
  return true
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const l = lower(c)
  if (l >= 97 && l <= 102) return l - 87
  return -1
}

/** Reads an exponent's digits after 'e' or 'p' (sign allowed); returns [value, end] or null. */
function scanExponent(s: string, at: number): [number, number] | null {
  let i = at
  let negative = false
  if (i < s.length && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) {
    negative = s.charCodeAt(i) === 45
    i++
  }
  const start = i
  let value = 0
  while (i < s.length) {
    const d = s.charCodeAt(i) - 48
    if (d < 0 || d > 9) break
    // Saturate: anything this large overflows or underflows every format anyway.
    if (value < 1e9) value = value * 10 + d
    i++
  }
  if (i === start) return null
  return [negative ? -value : value, i]
}

/** Scans `s` from index 0 like strtod. `s` is treated as a C string by the caller if needed. */
export function scanFloat(s: string): ScannedFloat {
  let i = 0
  const length = s.length
  while (i < length && isCSpace(s.charCodeAt(i))) i++
  let negative = false
  if (i < length && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) {
    negative = s.charCodeAt(i) === 45
    i++
  }
  if (matchWord(s, i, 'inf')) {
    const end = matchWord(s, i, 'infinity') ? i + 8 : i + 3
    return { kind: 'inf', negative, digits: 0n, scale: 0, radix: 10, end }
  }
  if (matchWord(s, i, 'nan')) {
    let end = i + 3
    if (end < length && s.charCodeAt(end) === 40 /* ( */) {
      let j = end + 1
      while (j < length) {
        const c = lower(s.charCodeAt(j))
        if ((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c === 95) j++
        else break
      }
      if (j < length && s.charCodeAt(j) === 41 /* ) */) end = j + 1
    }
    return { kind: 'nan', negative, digits: 0n, scale: 0, radix: 10, end }
  }
  if (s.charCodeAt(i) === 48 && lower(s.charCodeAt(i + 1)) === 120 /* x */) {
    const hex = scanHex(s, i + 2, negative)
    if (hex !== null) return hex
    // "0x" without hex digits is the number 0 followed by garbage.
    return { kind: 'number', negative, digits: 0n, scale: 0, radix: 10, end: i + 1 }
  }
  let digits = ''
  let sawDigit = false
  let scale = 0
  while (i < length) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) break
    sawDigit = true
    digits += s[i]
    i++
  }
  if (i < length && s.charCodeAt(i) === 46 /* . */) {
    let j = i + 1
    while (j < length) {
      const c = s.charCodeAt(j)
      if (c < 48 || c > 57) break
      sawDigit = true
      digits += s[j]
      scale--
      j++
    }
    if (sawDigit) i = j
  }
  if (!sawDigit) return NOTHING
  if (i < length && lower(s.charCodeAt(i)) === 101 /* e */) {
    const exponent = scanExponent(s, i + 1)
    if (exponent !== null) {
      scale += exponent[0]
      i = exponent[1]
    }
  }
  return { kind: 'number', negative, digits: BigInt(digits), scale, radix: 10, end: i }
}

function scanHex(s: string, at: number, negative: boolean): ScannedFloat | null {
  let i = at
  let mantissa = 0n
  let sawDigit = false
  let scale = 0
  while (i < s.length && hexValue(s.charCodeAt(i)) >= 0) {
    mantissa = mantissa * 16n + BigInt(hexValue(s.charCodeAt(i)))
    sawDigit = true
    i++
  }
  if (i < s.length && s.charCodeAt(i) === 46) {
    let j = i + 1
    while (j < s.length && hexValue(s.charCodeAt(j)) >= 0) {
      mantissa = mantissa * 16n + BigInt(hexValue(s.charCodeAt(j)))
      scale -= 4
      sawDigit = true
      j++
    }
    if (sawDigit) i = j
  }
  if (!sawDigit) return null
  if (i < s.length && lower(s.charCodeAt(i)) === 112 /* p */) {
    const exponent = scanExponent(s, i + 1)
    if (exponent !== null) {
      scale += exponent[0]
      i = exponent[1]
    }
  }
  return { kind: 'number', negative, digits: mantissa, scale, radix: 2, end: i }
}

/**
 * Converts a scanned number to `format`. Returns the rounded value, or 'overflow' (C: ±HUGE_VAL and
 * ERANGE), or 'underflow' (C: ±0 and ERANGE, a non-zero input too small even for a subnormal).
 */
export function convertScanned(
  scanned: ScannedFloat,
  format: BinaryFormat,
  maxDecimalMagnitude: number,
): BinaryValue | 'overflow' | 'underflow' {
  const { digits, scale } = scanned
  if (digits === 0n) return { mantissa: 0n, exponent: 0 }
  if (scanned.radix === 10) {
    // Magnitude guards keep 10^scale small: beyond them the result is known without computing it.
    const magnitude = digits.toString().length + scale
    if (magnitude > maxDecimalMagnitude + 2) return 'overflow'
    if (magnitude < -(maxDecimalMagnitude + 40)) return 'underflow'
    const rounded = scale >= 0
      ? roundRational(digits * 10n ** BigInt(scale), 1n, format)
      : roundRational(digits, 10n ** BigInt(-scale), format)
    if (rounded === null) return 'overflow'
    return rounded.mantissa === 0n ? 'underflow' : rounded
  }
  const magnitude = bitLength(digits) + scale
  if (magnitude > format.maxLsbExponent + format.precision + 2) return 'overflow'
  if (magnitude < format.minLsbExponent - 2) return 'underflow'
  const rounded = scale >= 0
    ? roundRational(digits << BigInt(scale), 1n, format)
    : roundRational(digits, 1n << BigInt(-scale), format)
  if (rounded === null) return 'overflow'
  return rounded.mantissa === 0n ? 'underflow' : rounded
}

/** The result of strtod(3): the double, the end index, and errno == ERANGE. */
export interface StrtodResult {
  readonly value: number
  readonly end: number
  readonly erange: boolean
}

function binaryToDouble(value: BinaryValue): number {
  // mantissa < 2^53, so Number(mantissa) is exact, and scaling by a power of two is exact as long
  // as the result is representable, which roundRational guaranteed. Split the scaling so that
  // intermediate powers of two stay finite and normal.
  let result = Number(value.mantissa)
  let e = value.exponent
  while (e > 0) {
    const step = Math.min(e, 1000)
    result *= 2 ** step
    e -= step
  }
  while (e < 0) {
    const step = Math.max(e, -1000)
    result *= 2 ** step
    e -= step
  }
  return result
}

/** strtod(3) on `s` (already cut at its first NUL if the caller wants C-string semantics). */
export function strtod(s: string): StrtodResult {
  const scanned = scanFloat(s)
  const sign = scanned.negative ? -1 : 1
  if (scanned.kind === 'inf') return { value: sign * Infinity, end: scanned.end, erange: false }
  if (scanned.kind === 'nan') return { value: NaN, end: scanned.end, erange: false }
  if (scanned.end === 0) return { value: 0, end: 0, erange: false }
  if (scanned.radix === 10 && scanned.digits < 9007199254740992n && Math.abs(scanned.scale) <= 22) {
    // Exact fast path (Clinger): both the digits and the power of ten are exact doubles, and one
    // IEEE operation rounds correctly.
    const d = Number(scanned.digits)
    const value = scanned.scale >= 0 ? d * 10 ** scanned.scale : d / 10 ** -scanned.scale
    return { value: sign * value, end: scanned.end, erange: false }
  }
  const converted = convertScanned(scanned, DOUBLE, 308)
  if (converted === 'overflow') return { value: sign * Infinity, end: scanned.end, erange: true }
  if (converted === 'underflow') return { value: sign * 0, end: scanned.end, erange: true }
  return { value: sign * binaryToDouble(converted), end: scanned.end, erange: false }
}

export { X87_EXTENDED }
